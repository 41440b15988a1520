#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eddy {

// An IPv4 or IPv6 address and a port, ready for bind(2) and connect(2).
class SocketAddress {
 public:
  SocketAddress() = default;  // family AF_UNSPEC: "no address"

  // Parses a numeric address ("0.0.0.0", "127.0.0.1", "::", "::1"). Host
  // names are refused on purpose: resolving one would block start-up on DNS.
  // Returns nullopt when `ip` is neither an IPv4 nor an IPv6 literal.
  static std::optional<SocketAddress> parse(std::string_view ip, std::uint16_t port);
  // Copies an address the kernel returned (accept4, recvfrom, getsockname).
  static SocketAddress from(const sockaddr* address, socklen_t size) noexcept;
  // The local address a socket is bound to (its port after binding port 0).
  static std::optional<SocketAddress> local_of(int fd) noexcept;
  // The address a connected socket's peer has.
  static std::optional<SocketAddress> peer_of(int fd) noexcept;

  int family() const noexcept { return storage_.ss_family; }
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const noexcept { return size_; }
  std::uint16_t port() const noexcept;
  // The address without the port: "127.0.0.1", "::1".
  std::string ip() const;

  // "0.0.0.0:25341", or "[::1]:25341" for IPv6 so that the port stays apart.
  std::string to_string() const;

 private:
  sockaddr_storage storage_{};
  socklen_t size_ = 0;
};

}  // namespace eddy
