#include "sys/socket.hpp"

#include "sys/error.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

namespace eddy::sys {

UniqueFd open_socket(int family, int type, std::error_code& ec) noexcept {
  UniqueFd fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  ec = fd ? std::error_code{} : last_error();
  return fd;
}

UniqueFd listen_tcp(const SocketAddress& address, bool reuse_port, int backlog, std::error_code& ec) noexcept {
  UniqueFd fd = open_socket(address.family(), SOCK_STREAM, ec);
  if (!fd) {
    return fd;
  }
  const int on = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      (reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) ||
      ::bind(fd.get(), address.get(), address.size()) != 0 || ::listen(fd.get(), backlog) != 0) {
    ec = last_error();
    return {};
  }
  ec.clear();
  return fd;
}

UniqueFd accept_tcp(int listener, SocketAddress& peer, std::error_code& ec) noexcept {
  sockaddr_storage storage{};
  for (;;) {
    socklen_t size = sizeof storage;
    const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&storage), &size, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      peer = SocketAddress::from(reinterpret_cast<const sockaddr*>(&storage), size);
      ec.clear();
      return UniqueFd(fd);
    }
    if (errno != EINTR) {
      ec = last_error();
      return {};
    }
  }
}

bool is_per_connection_accept_error(const std::error_code& ec) noexcept {
  switch (ec.value()) {
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case EPERM:  // a firewall rule refused this one connection
      return true;
    default:
      return false;
  }
}

bool is_out_of_descriptors(const std::error_code& ec) noexcept {
  return ec.value() == EMFILE || ec.value() == ENFILE || ec.value() == ENOBUFS || ec.value() == ENOMEM;
}

UniqueFd connect_tcp(const SocketAddress& address, std::error_code& ec) noexcept {
  UniqueFd fd = open_socket(address.family(), SOCK_STREAM, ec);
  if (!fd) {
    return fd;
  }
  int result;
  do {
    result = ::connect(fd.get(), address.get(), address.size());
  } while (result != 0 && errno == EINTR);
  if (result != 0 && errno != EINPROGRESS) {
    ec = last_error();
    return {};
  }
  ec.clear();
  return fd;
}

std::error_code socket_error(int fd) noexcept {
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
    return last_error();
  }
  return error == 0 ? std::error_code{} : make_error(error);
}

void set_no_delay(int fd) noexcept {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

void set_nonblocking(int fd) noexcept {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) == 0) {
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  }
}

void set_reset_on_close(int fd) noexcept {
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
}

std::error_code shutdown_write(int fd) noexcept {
  return ::shutdown(fd, SHUT_WR) == 0 ? std::error_code{} : last_error();
}

std::size_t send_some(int fd, const void* data, std::size_t size, std::error_code& ec) noexcept {
  ec.clear();
  for (;;) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n >= 0) {
      return static_cast<std::size_t>(n);
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return 0;
    }
    if (errno != EINTR) {
      ec = last_error();
      return 0;
    }
  }
}

}  // namespace eddy::sys
