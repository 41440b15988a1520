#pragma once

#include "load_driver.hpp"
#include "tcp_load_connection.hpp"

#include <eddy/function.hpp>
#include <eddy/timer.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace eddy_load {

// This thread's TCP connections: connects them all at once, starts and
// stops them together, and cuts those that have not drained kDrainTimeout
// after the stop.
//
// Loop thread only.
class TcpDriver final : public LoadDriver {
 public:
  explicit TcpDriver(const DriverContext& context);
  ~TcpDriver() override;

  void connect(eddy::Function<void()> on_connected) override;
  void start() override;
  void stop() override;
  std::size_t open_connections() const noexcept override { return open_; }

  // For its connections.
  const DriverContext& context() const noexcept { return context_; }
  // One send buffer shared by the thread's connections (one runs at a
  // time): batch_capacity() bytes, reused for every batch.
  std::span<char> scratch() noexcept { return scratch_; }
  bool stopping() const noexcept { return stopping_; }
  void connect_finished(bool connected);
  void connection_closed();

 private:
  DriverContext context_;
  std::vector<char> scratch_;
  std::vector<std::unique_ptr<TcpLoadConnection>> connections_;
  eddy::Timer drain_timer_;
  eddy::Function<void()> on_connected_;
  std::size_t pending_connects_ = 0;
  std::size_t open_ = 0;
  bool stopping_ = false;
};

}  // namespace eddy_load
