#include <eddy/socket_address.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace eddy {

std::optional<SocketAddress> SocketAddress::parse(std::string_view ip, std::uint16_t port) {
  const std::string text(ip);  // inet_pton wants a NUL-terminated string
  SocketAddress address;
  sockaddr_in v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    std::memcpy(&address.storage_, &v4, sizeof v4);
    address.size_ = sizeof v4;
    return address;
  }
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&address.storage_, &v6, sizeof v6);
    address.size_ = sizeof v6;
    return address;
  }
  return std::nullopt;
}

SocketAddress SocketAddress::from(const sockaddr* address, socklen_t size) noexcept {
  SocketAddress result;
  if (size > sizeof result.storage_) {
    size = sizeof result.storage_;
  }
  std::memcpy(&result.storage_, address, size);
  result.size_ = size;
  return result;
}

std::optional<SocketAddress> SocketAddress::local_of(int fd) noexcept {
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &size) != 0) {
    return std::nullopt;
  }
  return from(reinterpret_cast<const sockaddr*>(&storage), size);
}

std::optional<SocketAddress> SocketAddress::peer_of(int fd) noexcept {
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &size) != 0) {
    return std::nullopt;
  }
  return from(reinterpret_cast<const sockaddr*>(&storage), size);
}

std::uint16_t SocketAddress::port() const noexcept {
  if (family() == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, &storage_, sizeof v4);
    return ntohs(v4.sin_port);
  }
  if (family() == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &storage_, sizeof v6);
    return ntohs(v6.sin6_port);
  }
  return 0;
}

std::string SocketAddress::ip() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, &storage_, sizeof v4);
    ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
  } else if (family() == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &storage_, sizeof v6);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
  } else {
    return "(none)";
  }
  return text;
}

std::string SocketAddress::to_string() const {
  const std::string port_text = std::to_string(port());
  return family() == AF_INET6 ? "[" + ip() + "]:" + port_text : ip() + ":" + port_text;
}

}  // namespace eddy
