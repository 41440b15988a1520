#include "udp_client.hpp"

#include <eddy/socket_address.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace echo_test {

namespace {

std::runtime_error errno_failure(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

constexpr std::size_t kMaxDatagram = 65536;

}  // namespace

UdpClient UdpClient::connect(const std::string& ip, std::uint16_t port) {
  const std::optional<eddy::SocketAddress> address = eddy::SocketAddress::parse(ip, port);
  if (!address) {
    throw std::runtime_error("not an IP address: " + ip);
  }
  eddy::UniqueFd fd(::socket(address->family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    throw errno_failure("socket");
  }
  if (::connect(fd.get(), address->get(), address->size()) != 0) {
    throw errno_failure("connect to udp " + address->to_string());
  }
  return UdpClient(std::move(fd));
}

void UdpClient::send(std::string_view datagram) {
  for (;;) {
    const ssize_t n = ::send(fd(), datagram.data(), datagram.size(), 0);
    if (n >= 0) {
      if (static_cast<std::size_t>(n) != datagram.size()) {
        throw std::runtime_error("send: short datagram");
      }
      return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd entry{fd(), POLLOUT, 0};
      ::poll(&entry, 1, 100);
    } else if (errno != EINTR) {
      throw errno_failure("send of a " + std::to_string(datagram.size()) + "-byte datagram");
    }
  }
}

std::optional<std::string> UdpClient::receive(Deadline deadline) {
  std::string datagram(kMaxDatagram, '\0');
  for (;;) {
    const ssize_t n = ::recv(fd(), datagram.data(), datagram.size(), MSG_TRUNC);
    if (n >= 0) {
      if (static_cast<std::size_t>(n) > datagram.size()) {
        throw std::runtime_error("receive: datagram of " + std::to_string(n) + " bytes is too long");
      }
      datagram.resize(static_cast<std::size_t>(n));
      return datagram;
    }
    // ECONNREFUSED: an ICMP port unreachable for an earlier datagram, e.g.
    // sent before the server was up. The server decides; keep waiting.
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNREFUSED) {
      throw errno_failure("recv");
    }
    if (Clock::now() >= deadline) {
      return std::nullopt;
    }
    pollfd entry{fd(), POLLIN, 0};
    ::poll(&entry, 1, poll_timeout_ms(deadline));
  }
}

std::string UdpClient::echo(std::string_view datagram, Deadline deadline) {
  // A late reply to an earlier resend must not pass for this one's.
  while (receive(Clock::now())) {
  }
  while (Clock::now() < deadline) {
    send(datagram);
    const Deadline retry = std::min(deadline, deadline_in(std::chrono::seconds(1)));
    if (std::optional<std::string> reply = receive(retry)) {
      return *reply;
    }
  }
  throw std::runtime_error("echo: no reply to a " + std::to_string(datagram.size()) + "-byte datagram");
}

}  // namespace echo_test
