// evutil_*: the socket and portability helpers of <event2/util.h>.
#include <event2/util.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

int add_fd_flag(int fd, int get, int set, int flag) {
  const int flags = ::fcntl(fd, get);
  if (flags < 0) {
    return -1;
  }
  if ((flags & flag) == 0 && ::fcntl(fd, set, flags | flag) < 0) {
    return -1;
  }
  return 0;
}

int set_int_option(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value);
}

}  // namespace

extern "C" {

int evutil_make_socket_nonblocking(evutil_socket_t sock) { return add_fd_flag(sock, F_GETFL, F_SETFL, O_NONBLOCK); }

int evutil_make_socket_closeonexec(evutil_socket_t sock) { return add_fd_flag(sock, F_GETFD, F_SETFD, FD_CLOEXEC); }

int evutil_make_listen_socket_reuseable(evutil_socket_t sock) { return set_int_option(sock, SOL_SOCKET, SO_REUSEADDR, 1); }

int evutil_make_listen_socket_reuseable_port(evutil_socket_t sock) {
  return set_int_option(sock, SOL_SOCKET, SO_REUSEPORT, 1);
}

int evutil_make_listen_socket_ipv6only(evutil_socket_t sock) { return set_int_option(sock, IPPROTO_IPV6, IPV6_V6ONLY, 1); }

int evutil_make_tcp_listen_socket_deferred(evutil_socket_t sock) {
  return set_int_option(sock, IPPROTO_TCP, TCP_DEFER_ACCEPT, 1);
}

int evutil_closesocket(evutil_socket_t sock) { return ::close(sock); }

int evutil_socketpair(int domain, int type, int protocol, evutil_socket_t sv[2]) {
  return ::socketpair(domain, type, protocol, sv);
}

int evutil_gettimeofday(struct timeval* tv, struct timezone*) { return ::gettimeofday(tv, nullptr); }

ev_int64_t evutil_strtoll(const char* s, char** endptr, int base) { return std::strtoll(s, endptr, base); }

int evutil_vsnprintf(char* buf, size_t buflen, const char* format, va_list ap) {
  const int r = std::vsnprintf(buf, buflen, format, ap);
  if (buflen > 0) {
    buf[buflen - 1] = '\0';  // terminated even when truncated, as libevent promises
  }
  return r;
}

int evutil_snprintf(char* buf, size_t buflen, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  const int r = evutil_vsnprintf(buf, buflen, format, ap);
  va_end(ap);
  return r;
}

const char* evutil_inet_ntop(int af, const void* src, char* dst, size_t len) {
  return ::inet_ntop(af, src, dst, static_cast<socklen_t>(len));
}

int evutil_inet_pton(int af, const char* src, void* dst) { return ::inet_pton(af, src, dst); }

int evutil_parse_sockaddr_port(const char* str, struct sockaddr* out, int* outlen) {
  char host[128];
  int port = 0;
  const char* colon = nullptr;
  bool is_v6 = false;
  if (*str == '[') {
    const char* close = std::strchr(str, ']');
    if (close == nullptr || static_cast<size_t>(close - str - 1) >= sizeof host) {
      return -1;
    }
    std::memcpy(host, str + 1, static_cast<size_t>(close - str - 1));
    host[close - str - 1] = '\0';
    is_v6 = true;
    if (close[1] == ':') {
      colon = close + 1;
    } else if (close[1] != '\0') {
      return -1;
    }
  } else {
    colon = std::strchr(str, ':');
    if (colon != nullptr && std::strchr(colon + 1, ':') != nullptr) {
      colon = nullptr;  // a bare IPv6 address
      is_v6 = true;
    }
    const size_t n = colon != nullptr ? static_cast<size_t>(colon - str) : std::strlen(str);
    if (n >= sizeof host) {
      return -1;
    }
    std::memcpy(host, str, n);
    host[n] = '\0';
  }
  if (colon != nullptr) {
    char* end = nullptr;
    const long p = std::strtol(colon + 1, &end, 10);
    // A port, when given, is 1 to 65535: libevent refuses ":0".
    if (end == colon + 1 || *end != '\0' || p <= 0 || p > 65535) {
      return -1;
    }
    port = static_cast<int>(p);
  }
  if (is_v6) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET6, host, &sin6.sin6_addr) != 1 || *outlen < static_cast<int>(sizeof sin6)) {
      return -1;
    }
    std::memcpy(out, &sin6, sizeof sin6);
    *outlen = sizeof sin6;
    return 0;
  }
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host, &sin.sin_addr) != 1 || *outlen < static_cast<int>(sizeof sin)) {
    return -1;
  }
  std::memcpy(out, &sin, sizeof sin);
  *outlen = sizeof sin;
  return 0;
}

int evutil_ascii_strcasecmp(const char* a, const char* b) { return ::strcasecmp(a, b); }
int evutil_ascii_strncasecmp(const char* a, const char* b, size_t n) { return ::strncasecmp(a, b, n); }

}  // extern "C"
