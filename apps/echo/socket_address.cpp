#include "socket_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace eddy_echo {

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

std::string SocketAddress::to_string() const {
  char ip[INET6_ADDRSTRLEN] = {};
  std::uint16_t port = 0;
  if (family() == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, &storage_, sizeof v4);
    ::inet_ntop(AF_INET, &v4.sin_addr, ip, sizeof ip);
    port = ntohs(v4.sin_port);
    return std::string(ip) + ":" + std::to_string(port);
  }
  sockaddr_in6 v6{};
  std::memcpy(&v6, &storage_, sizeof v6);
  ::inet_ntop(AF_INET6, &v6.sin6_addr, ip, sizeof ip);
  port = ntohs(v6.sin6_port);
  return "[" + std::string(ip) + "]:" + std::to_string(port);
}

}  // namespace eddy_echo
