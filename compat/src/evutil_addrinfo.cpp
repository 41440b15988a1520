// evutil_getaddrinfo and the address helpers of <event2/util.h>.
//
// libevent 2.1 on Linux hands evutil_getaddrinfo straight to the system's
// getaddrinfo(3), because glibc needs none of the fixes libevent applies
// elsewhere (filling in the port or the protocol, faking AI_ADDRCONFIG).
// So does eddy: the answers, and their order, are glibc's.
#include <event2/util.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstddef>
#include <cstring>

extern "C" {

int evutil_getaddrinfo(const char* nodename, const char* servname, const struct evutil_addrinfo* hints_in,
                       struct evutil_addrinfo** res) {
  addrinfo hints{};
  if (hints_in != nullptr) {
    hints = *hints_in;
  } else {
    hints.ai_family = PF_UNSPEC;
  }
  return ::getaddrinfo(nodename, servname, &hints, res);
}

void evutil_freeaddrinfo(struct evutil_addrinfo* ai) {
  if (ai != nullptr) {
    ::freeaddrinfo(ai);
  }
}

// libevent words these messages itself (they are not glibc's); codes it
// does not name get the system's message.
const char* evutil_gai_strerror(int err) {
  switch (err) {
    case EVUTIL_EAI_CANCEL:
      return "Request canceled";
    case 0:
      return "No error";
    case EVUTIL_EAI_ADDRFAMILY:
      return "address family for nodename not supported";
    case EVUTIL_EAI_AGAIN:
      return "temporary failure in name resolution";
    case EVUTIL_EAI_BADFLAGS:
      return "invalid value for ai_flags";
    case EVUTIL_EAI_FAIL:
      return "non-recoverable failure in name resolution";
    case EVUTIL_EAI_FAMILY:
      return "ai_family not supported";
    case EVUTIL_EAI_MEMORY:
      return "memory allocation failure";
    case EVUTIL_EAI_NODATA:
      return "no address associated with nodename";
    case EVUTIL_EAI_NONAME:
      return "nodename nor servname provided, or not known";
    case EVUTIL_EAI_SERVICE:
      return "servname not supported for ai_socktype";
    case EVUTIL_EAI_SOCKTYPE:
      return "ai_socktype not supported";
    case EVUTIL_EAI_SYSTEM:
      return "system error";
    default:
      return ::gai_strerror(err);
  }
}

// The order is libevent's: family, then address (IPv4 as the network-order
// word compares, IPv6 bytewise), then port. Callers use it to sort and to
// test equality, so only the sign matters.
int evutil_sockaddr_cmp(const struct sockaddr* sa1, const struct sockaddr* sa2, int include_port) {
  if (sa1->sa_family != sa2->sa_family) {
    return sa1->sa_family < sa2->sa_family ? -1 : 1;
  }
  auto order = [](auto a, auto b) { return a < b ? -1 : (a > b ? 1 : 0); };
  int r = 0;
  if (sa1->sa_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(sa1);
    const auto* b = reinterpret_cast<const sockaddr_in*>(sa2);
    r = order(a->sin_addr.s_addr, b->sin_addr.s_addr);
    if (r == 0 && include_port != 0) {
      r = order(a->sin_port, b->sin_port);
    }
    return r;
  }
  if (sa1->sa_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(sa1);
    const auto* b = reinterpret_cast<const sockaddr_in6*>(sa2);
    r = std::memcmp(a->sin6_addr.s6_addr, b->sin6_addr.s6_addr, sizeof a->sin6_addr.s6_addr);
    if (r == 0 && include_port != 0) {
      r = order(a->sin6_port, b->sin6_port);
    }
    return r;
  }
  return 1;  // libevent does not order other families: never equal
}

int evutil_inet_pton_scope(int af, const char* src, void* dst, unsigned* indexp) {
  *indexp = 0;
  const char* percent = af == AF_INET6 ? std::strchr(src, '%') : nullptr;
  if (percent == nullptr) {
    return ::inet_pton(af, src, dst);
  }
  unsigned index = ::if_nametoindex(percent + 1);
  if (index == 0) {
    // Not an interface's name: a number (an empty zone is 0, as in
    // libevent), or nothing this can parse.
    char* end = nullptr;
    index = static_cast<unsigned>(std::strtoul(percent + 1, &end, 10));
    if (*end != '\0') {
      return 0;
    }
  }
  *indexp = index;
  char address[INET6_ADDRSTRLEN];
  const auto length = static_cast<std::size_t>(percent - src);
  if (length >= sizeof address) {
    return 0;  // too long to be an IPv6 address
  }
  std::memcpy(address, src, length);
  address[length] = '\0';
  return ::inet_pton(af, address, dst);
}

}  // extern "C"
