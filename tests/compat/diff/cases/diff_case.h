/* Helpers shared by the differential cases in this directory.
 * Every case runs bounded (alarm) with line-buffered stdout, so output from
 * forked children and from the parent interleaves in program order. */
#ifndef EDDY_DIFF_CASE_H
#define EDDY_DIFF_CASE_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

static inline void case_start(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(10);
}

/* A setup step outside the API under test failed (pipe, socketpair...). */
static inline void case_fail(const char *what)
{
	printf("setup failed: %s\n", what);
	exit(2);
}

static inline void case_pipe(int fds[2])
{
	if (pipe(fds) != 0)
		case_fail("pipe");
}

static inline void case_write(int fd, const char *bytes, size_t n)
{
	if (write(fd, bytes, n) != (ssize_t)n)
		case_fail("write");
}

static inline struct timeval case_ms(long ms)
{
	struct timeval tv;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* Readable form of a what/events mask, printed in hex. */
static inline unsigned case_flags(short what)
{
	return (unsigned)(unsigned short)what;
}

#endif
