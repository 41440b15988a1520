#pragma once

#include "load_driver.hpp"
#include "udp_load_socket.hpp"

#include <eddy/function.hpp>
#include <eddy/timer.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace eddy_load {

// This thread's UDP sockets, and the timer that expires lost datagrams
// (every 100 ms while sending: one timer for all sockets rather than one
// per datagram).
//
// Loop thread only.
class UdpDriver final : public LoadDriver {
 public:
  explicit UdpDriver(const DriverContext& context);
  ~UdpDriver() override;

  void connect(eddy::Function<void()> on_connected) override;
  void start() override;
  void stop() override;
  std::size_t open_connections() const noexcept override { return open_; }

  // For its sockets.
  const DriverContext& context() const noexcept { return context_; }
  // One message-sized send buffer shared by the thread's sockets.
  std::span<char> scratch() noexcept { return scratch_; }
  void socket_closed();

 private:
  DriverContext context_;
  std::vector<char> scratch_;
  std::vector<std::unique_ptr<UdpLoadSocket>> sockets_;
  eddy::Timer loss_timer_;
  std::size_t open_ = 0;
};

}  // namespace eddy_load
