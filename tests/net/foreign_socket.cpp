#include "net/foreign_socket.hpp"

#include <eddy/unique_fd.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <system_error>

namespace eddy::test {

int bind_with_reuse_port(const SocketAddress& to) {
  const UniqueFd fd(::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int on = 1;
  if (!fd || ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    throw std::system_error(errno, std::generic_category(), "a SO_REUSEPORT socket");
  }
  return ::bind(fd.get(), to.get(), to.size()) == 0 ? 0 : errno;
}

}  // namespace eddy::test
