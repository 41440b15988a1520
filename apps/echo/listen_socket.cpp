#include "listen_socket.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace eddy_echo {

eddy::UniqueFd listen_on(const eddy::SocketAddress& address, std::error_code& ec) {
  ec.clear();
  eddy::UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    ec.assign(errno, std::system_category());
    return {};
  }
  const int on = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      ::bind(fd.get(), address.get(), address.size()) != 0 || ::listen(fd.get(), SOMAXCONN) != 0) {
    ec.assign(errno, std::system_category());
    return {};
  }
  return fd;
}

}  // namespace eddy_echo
