#include "support/socket_pair.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace eddy::test {

SocketPair::SocketPair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::system_error(errno, std::generic_category(), "socketpair");
  }
  first_ = fds[0];
  second_ = fds[1];
}

SocketPair::~SocketPair() {
  close_first();
  close_second();
}

void SocketPair::close_first() {
  if (first_ >= 0) {
    ::close(std::exchange(first_, -1));
  }
}

void SocketPair::close_second() {
  if (second_ >= 0) {
    ::close(std::exchange(second_, -1));
  }
}

}  // namespace eddy::test
