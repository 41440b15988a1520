/* Helpers shared by the buffered differential cases (evbuffer, bufferevent,
 * evconnlistener), on top of ../diff/cases/diff_case.h (case_start: line
 * buffered stdout and alarm(10); case_fail for setup failures).
 * Nothing printed here depends on pointers, times or chunk sizes. */
#ifndef EDDY_DIFFB_CASE_H
#define EDDY_DIFFB_CASE_H

#include "diff_case.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <event2/buffer.h>

/* Prints n bytes between quotes, with \r, \n, \t, \\, \" and \xNN for the
 * other non-printable bytes (NUL included). */
static inline void case_print_bytes(const void *data, size_t n)
{
	const unsigned char *p = (const unsigned char *)data;
	putchar('"');
	for (size_t i = 0; i < n; ++i) {
		unsigned c = p[i];
		if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\r')
			fputs("\\r", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c == '\\')
			fputs("\\\\", stdout);
		else if (c == '"')
			fputs("\\\"", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar((int)c);
	}
	putchar('"');
}

/* FNV-1a, 32 bits. */
static inline uint32_t case_fnv1a(const void *data, size_t n, uint32_t h)
{
	const unsigned char *p = (const unsigned char *)data;
	for (size_t i = 0; i < n; ++i) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}
#define CASE_FNV_INIT 2166136261u

/* A copy of a buffer's contents, gathered with evbuffer_peek (which works
 * whatever the buffer's chunks and freeze state; evbuffer_copyout fails on a
 * buffer whose start is frozen); *n receives the length. Free with free(). */
static inline unsigned char *case_contents(struct evbuffer *buf, size_t *n)
{
	size_t len = evbuffer_get_length(buf);
	unsigned char *copy = (unsigned char *)malloc(len + 1);
	if (copy == NULL)
		case_fail("malloc");
	int nvec = evbuffer_peek(buf, -1, NULL, NULL, 0);
	size_t got = 0;
	if (nvec > 0) {
		struct evbuffer_iovec *v =
			(struct evbuffer_iovec *)malloc(sizeof(struct evbuffer_iovec) * (size_t)nvec);
		if (v == NULL)
			case_fail("malloc");
		int filled = evbuffer_peek(buf, -1, NULL, v, nvec);
		for (int i = 0; i < filled && i < nvec; ++i) {
			size_t take = v[i].iov_len;
			if (take > len - got)
				take = len - got;
			memcpy(copy + got, v[i].iov_base, take);
			got += take;
		}
		free(v);
	}
	if (got != len) {
		printf("peek gathered %lu bytes of %lu\n", (unsigned long)got, (unsigned long)len);
		exit(3);
	}
	*n = len;
	return copy;
}

/* "label: len=N "contents"" on one line. */
static inline void case_dump(const char *label, struct evbuffer *buf)
{
	size_t n;
	unsigned char *c = case_contents(buf, &n);
	printf("%s: len=%lu ", label, (unsigned long)n);
	case_print_bytes(c, n);
	putchar('\n');
	free(c);
}

/* "label: len=N fnv=XXXXXXXX" for contents too long to print. */
static inline void case_dump_sum(const char *label, struct evbuffer *buf)
{
	size_t n;
	unsigned char *c = case_contents(buf, &n);
	printf("%s: len=%lu fnv=%08x\n", label, (unsigned long)n, (unsigned)case_fnv1a(c, n, CASE_FNV_INIT));
	free(c);
}

static inline void case_socketpair(int fds[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
		case_fail("socketpair");
}

static inline void case_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		case_fail("fcntl O_NONBLOCK");
}

/* The name of the errno values the cases may meet. */
static inline const char *case_errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EPIPE: return "EPIPE";
	case ECONNRESET: return "ECONNRESET";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNABORTED: return "ECONNABORTED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EAGAIN: return "EAGAIN";
	case EINPROGRESS: return "EINPROGRESS";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case ENOTCONN: return "ENOTCONN";
	case ENOTSOCK: return "ENOTSOCK";
	case EADDRINUSE: return "EADDRINUSE";
	case EMFILE: return "EMFILE";
	case ENFILE: return "ENFILE";
	default: return "other";
	}
}

/* A TCP socket listening on 127.0.0.1 on a port the kernel picks; *port
 * receives it (host order). */
static inline int case_tcp_listener(unsigned short *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		case_fail("socket");
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
		case_fail("bind");
	if (listen(fd, 16) != 0)
		case_fail("listen");
	socklen_t len = sizeof sin;
	if (getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		case_fail("getsockname");
	*port = ntohs(sin.sin_port);
	return fd;
}

static inline struct sockaddr_in case_loopback(unsigned short port)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	return sin;
}

/* A blocking TCP connection to 127.0.0.1:port. */
static inline int case_tcp_connect(unsigned short port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		case_fail("socket");
	struct sockaddr_in sin = case_loopback(port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
		case_fail("connect");
	return fd;
}

/* Reads exactly n bytes (blocking fd), or fewer at EOF; returns the count. */
static inline size_t case_read_full(int fd, void *dst, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)dst + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

#endif
