#pragma once

#include <eddy/unique_fd.hpp>
#include "deadline.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace echo_test {

// A UDP socket connected to one server (so that it receives only that
// server's datagrams), whose every wait ends at a deadline. Failures throw
// std::runtime_error naming what was expected.
class UdpClient {
 public:
  static UdpClient connect(const std::string& ip, std::uint16_t port);

  int fd() const noexcept { return socket_.get(); }

  void send(std::string_view datagram);
  // The next datagram, whole (up to 64 KiB); nullopt at the deadline.
  std::optional<std::string> receive(Deadline deadline);

  // Sends `datagram` and returns the first datagram that comes back. UDP
  // may drop either one, even on loopback under load, so it sends again
  // after each second of silence, up to the deadline.
  std::string echo(std::string_view datagram, Deadline deadline);

 private:
  explicit UdpClient(eddy::UniqueFd socket) : socket_(std::move(socket)) {}

  eddy::UniqueFd socket_;
};

}  // namespace echo_test
