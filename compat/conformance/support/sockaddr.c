/* Address helpers of util-internal.h that the util and listener tests call:
 * formatting, the loopback and "local address" predicates, and a connect
 * that never blocks. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const char* evutil_format_sockaddr_port_(const struct sockaddr* sa, char* out, size_t outlen);
int evutil_sockaddr_is_loopback_(const struct sockaddr* sa);
int evutil_v4addr_is_local_(const struct in_addr* in);
int evutil_v6addr_is_local_(const struct in6_addr* in);
int evutil_socket_connect_(evutil_socket_t* fd_ptr, const struct sockaddr* sa, int socklen);

/* "1.2.3.4:80", "[::1]:80", or "<addr with socktype N>" for another family;
 * always writes something and returns out. */
const char* evutil_format_sockaddr_port_(const struct sockaddr* sa, char* out, size_t outlen) {
  char addr[INET6_ADDRSTRLEN];
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in* sin = (const struct sockaddr_in*)sa;
    inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof addr);
    snprintf(out, outlen, "%s:%d", addr, ntohs(sin->sin_port));
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6* sin6 = (const struct sockaddr_in6*)sa;
    inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof addr);
    snprintf(out, outlen, "[%s]:%d", addr, ntohs(sin6->sin6_port));
  } else {
    snprintf(out, outlen, "<addr with socktype %d>", (int)sa->sa_family);
  }
  return out;
}

/* 127.0.0.0/8 or ::1. */
int evutil_sockaddr_is_loopback_(const struct sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    return (ntohl(((const struct sockaddr_in*)sa)->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6*)sa)->sin6_addr);
  }
  return 0;
}

/* An address no packet to the Internet goes to: 0.0.0.0/8 (any),
 * 127.0.0.0/8 (loopback), 169.254.0.0/16 (link-local), 224.0.0.0/4
 * (multicast). */
int evutil_v4addr_is_local_(const struct in_addr* in) {
  const ev_uint32_t a = ntohl(in->s_addr);
  return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 16) == 0xa9fe || (a >> 28) == 0xe;
}

/* The IPv6 counterpart: anything in ::/64 (unspecified, loopback, the
 * IPv4-compatible, -mapped and -translated forms; RFC 4291 reserves it),
 * fe80::/10 (link-local), ff00::/8 (multicast). 64:ff9b::/96, the IPv4/IPv6
 * translation prefix, reaches the Internet and is not local. */
int evutil_v6addr_is_local_(const struct in6_addr* in) {
  static const unsigned char zeros[8];
  const unsigned char* b = in->s6_addr;
  return memcmp(b, zeros, sizeof zeros) == 0 || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff;
}

/* Connects *fd_ptr to sa without blocking; when *fd_ptr < 0 it first makes
 * a non-blocking stream socket of sa's family there. Returns 1 when the
 * connection is made at once, 0 when it is in progress, 2 when refused at
 * once, -1 on another error (closing the socket if it made it). */
int evutil_socket_connect_(evutil_socket_t* fd_ptr, const struct sockaddr* sa, int socklen) {
  const int made = *fd_ptr < 0;
  if (made) {
    *fd_ptr = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (*fd_ptr < 0) {
      return -1;
    }
  }
  if (connect(*fd_ptr, sa, (socklen_t)socklen) == 0) {
    return 1;
  }
  if (errno == EINPROGRESS || errno == EINTR) {
    return 0;
  }
  if (errno == ECONNREFUSED) {
    return 2;
  }
  if (made) {
    const int saved = errno;
    close(*fd_ptr);
    *fd_ptr = -1;
    errno = saved;
  }
  return -1;
}
