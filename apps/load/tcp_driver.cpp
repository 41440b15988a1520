#include "tcp_driver.hpp"

#include <eddy/clock.hpp>

namespace eddy_load {

TcpDriver::TcpDriver(const DriverContext& context)
    : context_(context),
      scratch_(batch_capacity(context.options.size)),
      drain_timer_(context.loop, [this] {
        // Connections whose messages did not all come back in time: the run
        // is over, cut them.
        for (const auto& connection : connections_) {
          connection->abort();
        }
      }) {
  connections_.reserve(context.connection_count);
  for (std::size_t i = 0; i < context.connection_count; ++i) {
    connections_.push_back(std::make_unique<TcpLoadConnection>(*this, context.first_connection + i));
  }
}

TcpDriver::~TcpDriver() = default;

void TcpDriver::connect(eddy::Function<void()> on_connected) {
  on_connected_ = std::move(on_connected);
  pending_connects_ = connections_.size();
  if (pending_connects_ == 0) {
    on_connected_();
    return;
  }
  for (const auto& connection : connections_) {
    connection->connect();
  }
}

void TcpDriver::connect_finished(bool connected) {
  if (connected) {
    ++open_;
  }
  if (--pending_connects_ == 0 && on_connected_) {
    on_connected_();
  }
}

void TcpDriver::start() {
  // One start time for the thread, so that the schedules of its connections
  // interleave as SendSchedule describes.
  const eddy::TimePoint start = eddy::Clock::now();
  for (const auto& connection : connections_) {
    connection->start(start);
  }
}

void TcpDriver::stop() {
  stopping_ = true;
  for (const auto& connection : connections_) {
    connection->stop();
  }
  if (open_ > 0) {
    drain_timer_.start(kDrainTimeout);
  }
}

void TcpDriver::connection_closed() {
  if (--open_ == 0) {
    drain_timer_.stop();
  }
}

}  // namespace eddy_load
