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
#include <netdb.h>

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
/* Orders two addresses: by family, then address, then (if include_port)
 * port. Returns <0, 0 or >0; addresses of other families compare unequal. */
int evutil_sockaddr_cmp(const struct sockaddr* sa1, const struct sockaddr* sa2, int include_port);
/* inet_pton() that also accepts an IPv6 zone ("fe80::1%eth0" or "%2"),
 * stored in *indexp (0 when there is none). Returns 1, or 0 if the text
 * is not an address or names no interface. */
int evutil_inet_pton_scope(int af, const char* src, void* dst, unsigned* indexp);
int evutil_ascii_strcasecmp(const char* str1, const char* str2);
int evutil_ascii_strncasecmp(const char* str1, const char* str2, size_t n);

/* Writes `tm` (the current time when NULL) as an RFC 1123 date,
 * "Thu, 01 Jan 1970 00:00:00 GMT", truncated to datelen - 1 characters.
 * Returns what evutil_snprintf() returns. */
struct tm;
int evutil_date_rfc1123(char* date, const size_t datelen, const struct tm* tm);

/* A clock that never goes backwards. Free with evutil_monotonic_timer_free.
 * evutil_configure_monotonic_time accepts EV_MONOT_PRECISE and
 * EV_MONOT_FALLBACK and returns 0; evutil_gettime_monotonic returns 0. */
struct evutil_monotonic_timer;
#define EV_MONOT_PRECISE 1
#define EV_MONOT_FALLBACK 2
struct evutil_monotonic_timer* evutil_monotonic_timer_new(void);
void evutil_monotonic_timer_free(struct evutil_monotonic_timer* timer);
int evutil_configure_monotonic_time(struct evutil_monotonic_timer* timer, int flags);
int evutil_gettime_monotonic(struct evutil_monotonic_timer* timer, struct timeval* tp);

/* getaddrinfo(3) under libevent's names. As in libevent on Linux, the
 * system's resolver answers (blocking). The flags and error codes are the
 * system's where <netdb.h> declares them (it may not under strict ISO C:
 * then libevent's stand-in values, the same as libevent's headers use).
 * Free results with evutil_freeaddrinfo. */
#define evutil_addrinfo addrinfo
#ifdef AI_PASSIVE
#define EVUTIL_AI_PASSIVE AI_PASSIVE
#else
#define EVUTIL_AI_PASSIVE 0x1000
#endif
#ifdef AI_CANONNAME
#define EVUTIL_AI_CANONNAME AI_CANONNAME
#else
#define EVUTIL_AI_CANONNAME 0x2000
#endif
#ifdef AI_NUMERICHOST
#define EVUTIL_AI_NUMERICHOST AI_NUMERICHOST
#else
#define EVUTIL_AI_NUMERICHOST 0x4000
#endif
#ifdef AI_NUMERICSERV
#define EVUTIL_AI_NUMERICSERV AI_NUMERICSERV
#else
#define EVUTIL_AI_NUMERICSERV 0x8000
#endif
#ifdef AI_V4MAPPED
#define EVUTIL_AI_V4MAPPED AI_V4MAPPED
#else
#define EVUTIL_AI_V4MAPPED 0x10000
#endif
#ifdef AI_ALL
#define EVUTIL_AI_ALL AI_ALL
#else
#define EVUTIL_AI_ALL 0x20000
#endif
#ifdef AI_ADDRCONFIG
#define EVUTIL_AI_ADDRCONFIG AI_ADDRCONFIG
#else
#define EVUTIL_AI_ADDRCONFIG 0x40000
#endif
#ifdef EAI_ADDRFAMILY
#define EVUTIL_EAI_ADDRFAMILY EAI_ADDRFAMILY
#else
#define EVUTIL_EAI_ADDRFAMILY -901
#endif
#ifdef EAI_AGAIN
#define EVUTIL_EAI_AGAIN EAI_AGAIN
#else
#define EVUTIL_EAI_AGAIN -902
#endif
#ifdef EAI_BADFLAGS
#define EVUTIL_EAI_BADFLAGS EAI_BADFLAGS
#else
#define EVUTIL_EAI_BADFLAGS -903
#endif
#ifdef EAI_FAIL
#define EVUTIL_EAI_FAIL EAI_FAIL
#else
#define EVUTIL_EAI_FAIL -904
#endif
#ifdef EAI_FAMILY
#define EVUTIL_EAI_FAMILY EAI_FAMILY
#else
#define EVUTIL_EAI_FAMILY -905
#endif
#ifdef EAI_MEMORY
#define EVUTIL_EAI_MEMORY EAI_MEMORY
#else
#define EVUTIL_EAI_MEMORY -906
#endif
#ifdef EAI_NODATA
#define EVUTIL_EAI_NODATA EAI_NODATA
#else
#define EVUTIL_EAI_NODATA -907
#endif
#ifdef EAI_NONAME
#define EVUTIL_EAI_NONAME EAI_NONAME
#else
#define EVUTIL_EAI_NONAME -908
#endif
#ifdef EAI_SERVICE
#define EVUTIL_EAI_SERVICE EAI_SERVICE
#else
#define EVUTIL_EAI_SERVICE -909
#endif
#ifdef EAI_SOCKTYPE
#define EVUTIL_EAI_SOCKTYPE EAI_SOCKTYPE
#else
#define EVUTIL_EAI_SOCKTYPE -910
#endif
#ifdef EAI_SYSTEM
#define EVUTIL_EAI_SYSTEM EAI_SYSTEM
#else
#define EVUTIL_EAI_SYSTEM -911
#endif
#define EVUTIL_EAI_CANCEL -90001 /* an evdns request was cancelled */
struct evutil_addrinfo;
int evutil_getaddrinfo(const char* nodename, const char* servname, const struct evutil_addrinfo* hints_in,
                       struct evutil_addrinfo** res);
void evutil_freeaddrinfo(struct evutil_addrinfo* ai);
/* libevent's message for a getaddrinfo error code (not glibc's wording). */
const char* evutil_gai_strerror(int err);

/* Random bytes from the kernel (getrandom(2)), which seeds itself:
 * evutil_secure_rng_init returns 0 once the kernel's pool is ready,
 * evutil_secure_rng_set_urandom_device_file names a device read instead
 * (call it first; the string is not copied), and bytes given to
 * evutil_secure_rng_add_bytes are accepted and not needed. */
void evutil_secure_rng_get_bytes(void* buf, size_t n);
int evutil_secure_rng_init(void);
int evutil_secure_rng_set_urandom_device_file(char* fname);
void evutil_secure_rng_add_bytes(const char* dat, size_t datlen);

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
/* libevent's spelling of offsetof. */
#define evutil_offsetof(type, field) offsetof(type, field)

#ifdef __cplusplus
}
#endif

#endif
