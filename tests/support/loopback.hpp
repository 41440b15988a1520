#pragma once

#include <eddy/unique_fd.hpp>

#include <cstdint>

namespace eddy::test {

// A TCP socket bound to 127.0.0.1 on a kernel-chosen port but not listening:
// while it exists, nothing else takes the port, and a connection attempt to
// it is refused (the kernel answers the SYN with a reset).
class RefusingPort {
 public:
  RefusingPort();

  std::uint16_t port() const noexcept { return port_; }

 private:
  UniqueFd socket_;
  std::uint16_t port_ = 0;
};

// Starts a non-blocking connect to 127.0.0.1:`port` and returns the socket.
// Throws std::system_error unless connect() succeeds at once or reports
// EINPROGRESS.
UniqueFd start_connect(std::uint16_t port);

// getsockopt(SO_ERROR): the socket's pending error, cleared by the call.
int take_socket_error(int fd);

}  // namespace eddy::test
