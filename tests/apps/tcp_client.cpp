#include "tcp_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <stdexcept>

namespace echo_test {

namespace {

std::runtime_error failure(const std::string& what) { return std::runtime_error(what); }
std::runtime_error errno_failure(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

// Fills `storage` for ip:port; returns its length.
socklen_t make_address(const std::string& ip, std::uint16_t port, sockaddr_storage& storage) {
  storage = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return sizeof(sockaddr_in);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return sizeof(sockaddr_in6);
  }
  throw failure("not an IP address: " + ip);
}

// A bound (not listening) socket on ip:port; port 0 lets the kernel choose.
eddy::UniqueFd bind_socket(const std::string& ip, std::uint16_t port) {
  sockaddr_storage address;
  const socklen_t size = make_address(ip, port, address);
  eddy::UniqueFd fd(::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), size) != 0) {
    return {};
  }
  return fd;
}

}  // namespace

TcpClient TcpClient::connect(const std::string& ip, std::uint16_t port, Deadline deadline) {
  sockaddr_storage address;
  const socklen_t size = make_address(ip, port, address);
  eddy::UniqueFd fd(::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    throw errno_failure("socket");
  }
  TcpClient client(std::move(fd));
  const std::string target = ip + " port " + std::to_string(port);
  if (::connect(client.fd(), reinterpret_cast<sockaddr*>(&address), size) != 0) {
    if (errno != EINPROGRESS) {
      throw errno_failure("connect to " + target);
    }
    if (!client.wait_for(POLLOUT, deadline)) {
      throw failure("connect to " + target + ": timed out");
    }
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(client.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      throw failure("connect to " + target + ": " + std::strerror(error));
    }
  }
  return client;
}

bool TcpClient::wait_for(short events, Deadline deadline) const {
  for (;;) {
    pollfd entry{fd(), events, 0};
    const int ready = ::poll(&entry, 1, poll_timeout_ms(deadline));
    if (ready > 0) {
      return true;  // includes POLLERR/POLLHUP: the next call reports them
    }
    if (ready < 0 && errno != EINTR) {
      throw errno_failure("poll");
    }
    if (Clock::now() >= deadline) {
      return false;
    }
  }
}

std::size_t TcpClient::send_some(std::string_view data) {
  for (;;) {
    const ssize_t n = ::send(fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      return static_cast<std::size_t>(n);
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return 0;
    }
    if (errno != EINTR) {
      throw errno_failure("send");
    }
  }
}

void TcpClient::send_all(std::string_view data, Deadline deadline) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    sent += send_some(data.substr(sent));
    if (sent < data.size() && !wait_for(POLLOUT, deadline)) {
      throw failure("send: timed out after " + std::to_string(sent) + " of " + std::to_string(data.size()) + " bytes");
    }
  }
}

std::string TcpClient::read_exact(std::size_t size, Deadline deadline) {
  std::string result(size, '\0');
  std::size_t received = 0;
  while (received < size) {
    const ssize_t n = ::recv(fd(), result.data() + received, size - received, 0);
    if (n > 0) {
      received += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      throw failure("read: EOF after " + std::to_string(received) + " of " + std::to_string(size) + " bytes");
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      throw errno_failure("read after " + std::to_string(received) + " of " + std::to_string(size) + " bytes");
    }
    if (!wait_for(POLLIN, deadline)) {
      throw failure("read: timed out after " + std::to_string(received) + " of " + std::to_string(size) + " bytes");
    }
  }
  return result;
}

std::string TcpClient::read_some(std::size_t max_size, Deadline deadline) {
  std::string result(max_size, '\0');
  for (;;) {
    const ssize_t n = ::recv(fd(), result.data(), result.size(), 0);
    if (n >= 0) {
      result.resize(static_cast<std::size_t>(n));
      return result;
    }
    if (errno == ECONNRESET) {
      return {};
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      throw errno_failure("read");
    }
    if (!wait_for(POLLIN, deadline)) {
      throw failure("read: timed out waiting for data or the end of the connection");
    }
  }
}

std::string TcpClient::exchange(std::string_view data, Deadline deadline) {
  std::string echoed(data.size(), '\0');
  std::size_t sent = 0;
  std::size_t received = 0;
  while (received < data.size()) {
    const short events = static_cast<short>(POLLIN | (sent < data.size() ? POLLOUT : 0));
    if (!wait_for(events, deadline)) {
      throw failure("exchange: timed out after sending " + std::to_string(sent) + " and receiving " +
                    std::to_string(received) + " of " + std::to_string(data.size()) + " bytes");
    }
    if (sent < data.size()) {
      sent += send_some(data.substr(sent));
    }
    const ssize_t n = ::recv(fd(), echoed.data() + received, echoed.size() - received, 0);
    if (n > 0) {
      received += static_cast<std::size_t>(n);
    } else if (n == 0) {
      throw failure("exchange: EOF after receiving " + std::to_string(received) + " of " + std::to_string(data.size()) +
                    " bytes");
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      throw errno_failure("exchange: read after " + std::to_string(received) + " bytes");
    }
  }
  return echoed;
}

TcpClient::Ending TcpClient::read_until_closed(Deadline deadline) {
  Ending ending;
  for (;;) {
    char chunk[65536];
    const ssize_t n = ::recv(fd(), chunk, sizeof chunk, 0);
    if (n > 0) {
      ending.received.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      return ending;
    }
    if (errno == ECONNRESET) {
      ending.reset = true;
      return ending;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      throw errno_failure("read");
    }
    if (!wait_for(POLLIN, deadline)) {
      throw failure("timed out waiting for the peer to close, after " + std::to_string(ending.received.size()) +
                    " bytes");
    }
  }
}

void TcpClient::shutdown_write() {
  if (::shutdown(fd(), SHUT_WR) != 0) {
    throw errno_failure("shutdown");
  }
}

void TcpClient::reset() {
  const linger abort_on_close{1, 0};
  ::setsockopt(fd(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  socket_.reset();
}

namespace {

constexpr std::size_t kFloodBlockSize = 65521;
constexpr std::chrono::milliseconds kBlockedAfter{500};

std::string flood_block() {
  std::mt19937_64 generator(7);
  std::string block(kFloodBlockSize, '\0');
  for (char& byte : block) {
    byte = static_cast<char>(generator() & 0xFF);
  }
  return block;
}

}  // namespace

std::size_t send_until_blocked(TcpClient& client, std::size_t limit, Deadline deadline) {
  const std::string block = flood_block();
  std::size_t sent = 0;
  Clock::time_point last_progress = Clock::now();
  while (sent < limit && Clock::now() - last_progress < kBlockedAfter) {
    if (Clock::now() >= deadline) {
      throw failure("send_until_blocked: timed out after " + std::to_string(sent) + " bytes");
    }
    const std::string_view rest = std::string_view(block).substr(sent % kFloodBlockSize);
    const std::size_t n = client.send_some(rest.substr(0, limit - sent));
    if (n > 0) {
      sent += n;
      last_progress = Clock::now();
    } else {
      pollfd entry{client.fd(), POLLOUT, 0};
      ::poll(&entry, 1, 50);
    }
  }
  return sent;
}

std::string flood_bytes(std::size_t size) {
  const std::string block = flood_block();
  std::string data;
  data.reserve(size);
  while (data.size() < size) {
    data.append(block, 0, std::min(kFloodBlockSize, size - data.size()));
  }
  return data;
}

std::uint16_t pick_free_port(const std::string& ip) {
  eddy::UniqueFd fd = bind_socket(ip, 0);
  if (!fd) {
    throw errno_failure("bind " + ip + " port 0");
  }
  sockaddr_storage bound{};
  socklen_t size = sizeof bound;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &size);
  if (bound.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

bool can_bind(const std::string& ip) { return static_cast<bool>(bind_socket(ip, 0)); }

}  // namespace echo_test
