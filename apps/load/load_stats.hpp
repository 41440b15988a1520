#pragma once

#include "latency_histogram.hpp"

#include <eddy/clock.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace eddy_load {

// Errors of a run, by kind. Any connect, reset or mismatch makes the exit
// code non-zero; timeouts (UDP datagrams that never came back) are losses,
// which UDP allows, and are only reported.
struct ErrorCounts {
  std::uint64_t connect = 0;   // connection attempts that failed or timed out
  std::uint64_t reset = 0;     // connections the server reset or closed during the run
  std::uint64_t mismatch = 0;  // connections (TCP) or datagrams (UDP) whose echo differed
  std::uint64_t timeout = 0;   // UDP datagrams with no reply within the loss timeout

  std::uint64_t total() const noexcept { return connect + reset + mismatch + timeout; }
  ErrorCounts& operator+=(const ErrorCounts& other) noexcept;
};

// Where an echo first differed from what was sent.
struct Mismatch {
  std::uint32_t connection = 0;
  std::uint64_t offset = 0;           // in the connection's byte stream (TCP) or the datagram (UDP)
  std::optional<unsigned char> expected;  // none: the server sent bytes nobody sent it
  std::optional<unsigned char> actual;    // none: the datagram was shorter
};

// The first error of each kind, for the one-line messages at the end.
struct FirstErrors {
  std::string connect;  // e.g. "Connection refused"
  std::string reset;    // e.g. "Connection reset by peer", "closed by the server"
  std::optional<Mismatch> mismatch;

  // Keeps ours where we have one, else takes other's.
  void merge(const FirstErrors& other);
};

// Messages, bytes and latency over some interval.
struct LoadFigures {
  std::uint64_t messages = 0;  // round trips completed and verified
  std::uint64_t bytes = 0;     // their payload, counted once (it went out and came back)
  ErrorCounts errors;
  LatencyHistogram latency;

  void merge(const LoadFigures& other) noexcept;
  void reset() noexcept;
};

// One worker thread's counters, updated by its drivers on the loop's thread
// without locks. Two views: `interval` (every phase, emptied at each
// progress snapshot) and `measured` (messages only while measuring: after
// the warmup and before the stop). Errors count from the first connect
// attempt to the stop, warmup included: an error is never excluded.
class ThreadStats {
 public:
  void set_measuring(bool measuring) noexcept { measuring_ = measuring; }
  // After the stop only mismatches count: messages still in flight drain
  // and the server closes connections, which is how a run ends.
  void stop() noexcept { stopped_ = true; }
  bool stopped() const noexcept { return stopped_; }

  void record_message(std::uint64_t latency_ns, std::size_t bytes) noexcept;
  // The same with the round trip given as send and receive times (a
  // receive time before the send time counts as zero).
  void record_message(eddy::TimePoint sent, eddy::TimePoint received, std::size_t bytes) noexcept {
    const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(received - sent).count();
    record_message(elapsed > 0 ? static_cast<std::uint64_t>(elapsed) : 0, bytes);
  }
  void count_connect_error(const std::string& what);
  void count_reset(const std::string& what);
  void count_mismatch(const Mismatch& where);
  void count_timeout() noexcept;

  LoadFigures& interval() noexcept { return interval_; }
  const LoadFigures& measured() const noexcept { return measured_; }
  const ErrorCounts& errors() const noexcept { return errors_; }
  const FirstErrors& first_errors() const noexcept { return first_; }

 private:
  LoadFigures interval_;
  LoadFigures measured_;  // its `errors` stay zero: see errors_
  ErrorCounts errors_;
  FirstErrors first_;
  bool measuring_ = false;
  bool stopped_ = false;
};

}  // namespace eddy_load
