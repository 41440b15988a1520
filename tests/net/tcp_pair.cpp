#include "net/tcp_pair.hpp"

#include <eddy/socket_address.hpp>

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>

namespace eddy::test {
namespace {

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

UniqueFd open_stream(int family, int buffer_size) {
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    throw_errno("socket");
  }
  if (buffer_size > 0) {
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &buffer_size, sizeof buffer_size) != 0 ||
        ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &buffer_size, sizeof buffer_size) != 0) {
      throw_errno("setsockopt SO_SNDBUF/SO_RCVBUF");
    }
  }
  return fd;
}

void make_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    throw_errno("fcntl O_NONBLOCK");
  }
}

}  // namespace

TcpPair make_tcp_pair(const TcpPairOptions& options) {
  const auto any_port = SocketAddress::parse(options.family == AF_INET6 ? "::1" : "127.0.0.1", 0);
  // Accepted sockets inherit the listener's buffer sizes.
  UniqueFd listener = open_stream(options.family, options.buffer_size);
  if (::bind(listener.get(), any_port->get(), any_port->size()) != 0) {
    throw_errno("bind loopback:0");
  }
  if (::listen(listener.get(), 1) != 0) {
    throw_errno("listen");
  }
  const auto bound = SocketAddress::local_of(listener.get());
  if (!bound) {
    throw_errno("getsockname");
  }
  UniqueFd client = open_stream(options.family, options.buffer_size);
  // Blocking connect and accept: over loopback the handshake completes
  // inside connect(), so neither waits.
  if (::connect(client.get(), bound->get(), bound->size()) != 0) {
    throw_errno("connect loopback");
  }
  UniqueFd accepted(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!accepted) {
    throw_errno("accept4");
  }
  make_nonblocking(client.get());
  make_nonblocking(accepted.get());
  return TcpPair{std::move(accepted), std::move(client)};
}

}  // namespace eddy::test
