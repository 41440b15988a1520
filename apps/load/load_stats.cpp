#include "load_stats.hpp"

namespace eddy_load {

ErrorCounts& ErrorCounts::operator+=(const ErrorCounts& other) noexcept {
  connect += other.connect;
  reset += other.reset;
  mismatch += other.mismatch;
  timeout += other.timeout;
  return *this;
}

void FirstErrors::merge(const FirstErrors& other) {
  if (connect.empty()) {
    connect = other.connect;
  }
  if (reset.empty()) {
    reset = other.reset;
  }
  if (!mismatch) {
    mismatch = other.mismatch;
  }
}

void LoadFigures::merge(const LoadFigures& other) noexcept {
  messages += other.messages;
  bytes += other.bytes;
  errors += other.errors;
  latency.merge(other.latency);
}

void LoadFigures::reset() noexcept {
  messages = 0;
  bytes = 0;
  errors = {};
  latency.reset();
}

void ThreadStats::record_message(std::uint64_t latency_ns, std::size_t bytes) noexcept {
  if (stopped_) {
    return;
  }
  ++interval_.messages;
  interval_.bytes += bytes;
  interval_.latency.record(latency_ns);
  if (measuring_) {
    ++measured_.messages;
    measured_.bytes += bytes;
    measured_.latency.record(latency_ns);
  }
}

void ThreadStats::count_connect_error(const std::string& what) {
  if (stopped_) {
    return;
  }
  ++errors_.connect;
  ++interval_.errors.connect;
  if (first_.connect.empty()) {
    first_.connect = what;
  }
}

void ThreadStats::count_reset(const std::string& what) {
  if (stopped_) {
    return;
  }
  ++errors_.reset;
  ++interval_.errors.reset;
  if (first_.reset.empty()) {
    first_.reset = what;
  }
}

void ThreadStats::count_mismatch(const Mismatch& where) {
  // Counted even after the stop: bytes that come back wrong while the
  // messages in flight drain are corruption all the same.
  ++errors_.mismatch;
  ++interval_.errors.mismatch;
  if (!first_.mismatch) {
    first_.mismatch = where;
  }
}

void ThreadStats::count_timeout() noexcept {
  if (stopped_) {
    return;
  }
  ++errors_.timeout;
  ++interval_.errors.timeout;
}

}  // namespace eddy_load
