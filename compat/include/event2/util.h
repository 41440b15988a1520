/* eddy's libevent-compatible API: portable types and socket helpers
 * (libevent 2.1's <event2/util.h>). See docs/compat.md. */
#ifndef EDDY_COMPAT_EVENT2_UTIL_H
#define EDDY_COMPAT_EVENT2_UTIL_H

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <stdint.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/time.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t ev_uint64_t;
typedef int64_t ev_int64_t;
typedef uint32_t ev_uint32_t;
typedef int32_t ev_int32_t;
typedef uint16_t ev_uint16_t;
typedef int16_t ev_int16_t;
typedef uint8_t ev_uint8_t;
typedef int8_t ev_int8_t;
typedef uintptr_t ev_uintptr_t;
typedef intptr_t ev_intptr_t;
typedef ssize_t ev_ssize_t;
typedef off_t ev_off_t;

#define EV_UINT64_MAX UINT64_MAX
#define EV_INT64_MAX INT64_MAX
#define EV_INT64_MIN INT64_MIN
#define EV_UINT32_MAX UINT32_MAX
#define EV_INT32_MAX INT32_MAX
#define EV_INT32_MIN INT32_MIN
#define EV_UINT16_MAX UINT16_MAX
#define EV_INT16_MAX INT16_MAX
#define EV_INT16_MIN INT16_MIN
#define EV_UINT8_MAX UINT8_MAX
#define EV_INT8_MAX INT8_MAX
#define EV_INT8_MIN INT8_MIN
#define EV_SIZE_MAX SIZE_MAX
#define EV_SSIZE_MAX SSIZE_MAX
#define EV_SSIZE_MIN (-EV_SSIZE_MAX - 1)

/* A socket is an int on every platform eddy runs on. */
typedef int evutil_socket_t;
#define EVUTIL_INVALID_SOCKET -1
typedef socklen_t ev_socklen_t;

#define EVUTIL_SOCKET_ERROR() (errno)
#define EVUTIL_SET_SOCKET_ERROR(errcode) \
  do {                                   \
    errno = (errcode);                   \
  } while (0)
#define evutil_socket_geterror(sock) (errno)
#define evutil_socket_error_to_string(errcode) (strerror(errcode))

/* Sets O_NONBLOCK. Returns 0, or -1 with errno set. */
int evutil_make_socket_nonblocking(evutil_socket_t sock);
/* Sets FD_CLOEXEC. Returns 0, or -1 with errno set. */
int evutil_make_socket_closeonexec(evutil_socket_t sock);
/* Sets SO_REUSEADDR, so a restarted server can bind while old connections
 * linger in TIME_WAIT. Returns 0, or -1 with errno set. */
int evutil_make_listen_socket_reuseable(evutil_socket_t sock);
/* Sets SO_REUSEPORT. Returns 0, or -1 with errno set. */
int evutil_make_listen_socket_reuseable_port(evutil_socket_t sock);
/* Sets IPV6_V6ONLY, so an IPv6 listener leaves IPv4 to another socket.
 * Returns 0, or -1 with errno set. */
int evutil_make_listen_socket_ipv6only(evutil_socket_t sock);
/* Sets TCP_DEFER_ACCEPT. Returns 0, or -1 with errno set. */
int evutil_make_tcp_listen_socket_deferred(evutil_socket_t sock);
int evutil_closesocket(evutil_socket_t sock);
#define EVUTIL_CLOSESOCKET(s) evutil_closesocket(s)
int evutil_socketpair(int domain, int type, int protocol, evutil_socket_t sv[2]);

struct timezone;
int evutil_gettimeofday(struct timeval* tv, struct timezone* tz);

ev_int64_t evutil_strtoll(const char* s, char** endptr, int base);
int evutil_snprintf(char* buf, size_t buflen, const char* format, ...) __attribute__((format(printf, 3, 4)));
int evutil_vsnprintf(char* buf, size_t buflen, const char* format, va_list ap)
    __attribute__((format(printf, 3, 0)));
const char* evutil_inet_ntop(int af, const void* src, char* dst, size_t len);
int evutil_inet_pton(int af, const char* src, void* dst);
/* Parses "1.2.3.4", "1.2.3.4:80", "::1", "[::1]:80" into `out`; returns 0,
 * or -1 if the text is not a numeric address. */
int evutil_parse_sockaddr_port(const char* str, struct sockaddr* out, int* outlen);
int evutil_ascii_strcasecmp(const char* str1, const char* str2);
int evutil_ascii_strncasecmp(const char* str1, const char* str2, size_t n);

#define evutil_timeradd(tvp, uvp, vvp)                    \
  do {                                                    \
    (vvp)->tv_sec = (tvp)->tv_sec + (uvp)->tv_sec;        \
    (vvp)->tv_usec = (tvp)->tv_usec + (uvp)->tv_usec;     \
    if ((vvp)->tv_usec >= 1000000) {                      \
      (vvp)->tv_sec++;                                    \
      (vvp)->tv_usec -= 1000000;                          \
    }                                                     \
  } while (0)
#define evutil_timersub(tvp, uvp, vvp)                    \
  do {                                                    \
    (vvp)->tv_sec = (tvp)->tv_sec - (uvp)->tv_sec;        \
    (vvp)->tv_usec = (tvp)->tv_usec - (uvp)->tv_usec;     \
    if ((vvp)->tv_usec < 0) {                             \
      (vvp)->tv_sec--;                                    \
      (vvp)->tv_usec += 1000000;                          \
    }                                                     \
  } while (0)
#define evutil_timerclear(tvp) ((tvp)->tv_sec = (tvp)->tv_usec = 0)
#define evutil_timerisset(tvp) ((tvp)->tv_sec || (tvp)->tv_usec)
#define evutil_timercmp(tvp, uvp, cmp) \
  (((tvp)->tv_sec == (uvp)->tv_sec) ? ((tvp)->tv_usec cmp(uvp)->tv_usec) : ((tvp)->tv_sec cmp(uvp)->tv_sec))

#define EVUTIL_UPCAST(ptr, type, field) ((type*)(((char*)(ptr)) - offsetof(type, field)))

#ifdef __cplusplus
}
#endif

#endif
