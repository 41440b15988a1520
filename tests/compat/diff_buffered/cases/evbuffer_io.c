/* evbuffer_read from a pipe (howmuch -1, limited, more than is there, at
 * EOF, with nothing to read), evbuffer_write and evbuffer_write_atmost to a
 * pipe and to a socketpair (what is written is drained), writing to a pipe
 * whose reader is gone (EPIPE), and a round trip of all 256 byte values.
 * Every amount stays below 4096 bytes and below the pipe's capacity, so how
 * much one call moves does not depend on chunk sizes or the kernel. */
#include "diffb_case.h"

#include <signal.h>

#include <event2/buffer.h>

static void fill_all_bytes(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; ++i)
		p[i] = (unsigned char)(i * 7 + i / 256);
}

int main(void)
{
	case_start();
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	int r;

	printf("-- evbuffer_read from a pipe\n");
	case_pipe(p);
	case_nonblock(p[0]);
	struct evbuffer *buf = evbuffer_new();
	errno = 0;
	r = evbuffer_read(buf, p[0], -1);
	printf("read -1 from an empty pipe: %d errno %s\n", r, case_errno_name(errno));
	case_write(p[1], "0123456789abcdefghijklmnopqrstuvwxyz", 36);
	r = evbuffer_read(buf, p[0], 10);
	printf("read 10: %d\n", r);
	case_dump("buffer", buf);
	r = evbuffer_read(buf, p[0], -1);
	printf("read -1: %d\n", r);
	case_dump("buffer", buf);
	case_write(p[1], "more", 4);
	r = evbuffer_read(buf, p[0], 1000);
	printf("read 1000 with 4 there: %d\n", r);
	case_dump("buffer", buf);
	case_write(p[1], "zero", 4);
	r = evbuffer_read(buf, p[0], 0);
	printf("read 0: %d\n", r);
	case_dump("buffer", buf);
	r = evbuffer_read(buf, p[0], -1);
	printf("read -1: %d\n", r);
	unsigned char big[3000];
	fill_all_bytes(big, sizeof big);
	case_write(p[1], (const char *)big, sizeof big);
	r = evbuffer_read(buf, p[0], -1);
	printf("read -1 with 3000 there: %d\n", r);
	case_dump_sum("buffer", buf);
	close(p[1]);
	r = evbuffer_read(buf, p[0], -1);
	printf("read at EOF: %d\n", r);
	close(p[0]);
	printf("read from a closed fd: %d\n", evbuffer_read(buf, p[0], -1));
	evbuffer_free(buf);

	printf("-- evbuffer_write to a pipe\n");
	case_pipe(p);
	buf = evbuffer_new();
	errno = 0;
	r = evbuffer_write(buf, p[1]);
	printf("write an empty buffer: %d errno %s\n", r, case_errno_name(errno));
	evbuffer_add(buf, "first ", 6);
	evbuffer_add_reference(buf, "second ", 7, NULL, NULL);
	evbuffer_add_printf(buf, "third %d", 3);
	printf("write_atmost 4: %d\n", evbuffer_write_atmost(buf, p[1], 4));
	case_dump("left", buf);
	printf("write_atmost 5 (across pieces): %d\n", evbuffer_write_atmost(buf, p[1], 5));
	case_dump("left", buf);
	printf("write_atmost 0: %d\n", evbuffer_write_atmost(buf, p[1], 0));
	printf("write_atmost -1: %d\n", evbuffer_write_atmost(buf, p[1], -1));
	case_dump("left", buf);
	evbuffer_add(buf, "fourth", 6);
	printf("write_atmost 100 with 6 there: %d\n", evbuffer_write_atmost(buf, p[1], 100));
	evbuffer_add(buf, "fifth", 5);
	printf("write: %d\n", evbuffer_write(buf, p[1]));
	case_dump("left", buf);
	char got[256];
	/* All of it is in the pipe already: one read takes it. */
	ssize_t n = read(p[0], got, sizeof got);
	if (n < 0)
		case_fail("read");
	printf("the pipe holds %ld: ", (long)n);
	case_print_bytes(got, (size_t)n);
	printf("\n");
	close(p[0]);
	evbuffer_add(buf, "nobody reads", 12);
	errno = 0;
	r = evbuffer_write(buf, p[1]);
	printf("write with the reader gone: %d errno %s\n", r, case_errno_name(errno));
	case_dump("left", buf);
	close(p[1]);
	evbuffer_free(buf);

	printf("-- all 256 byte values through a socketpair\n");
	int sv[2];
	case_socketpair(sv);
	struct evbuffer *out = evbuffer_new();
	struct evbuffer *in = evbuffer_new();
	unsigned char all[1024];
	for (size_t i = 0; i < sizeof all; ++i)
		all[i] = (unsigned char)(255 - i % 256);
	evbuffer_add(out, all, 256);
	evbuffer_add_reference(out, all + 256, 256, NULL, NULL);
	evbuffer_prepend(out, all + 512, 512);
	case_dump_sum("out", out);
	r = evbuffer_write(out, sv[0]);
	printf("write: %d, left %lu\n", r, (unsigned long)evbuffer_get_length(out));
	size_t total = 0;
	while (total < sizeof all) {
		r = evbuffer_read(in, sv[1], 300);
		if (r <= 0)
			break;
		printf("read 300: %d\n", r);
		total += (size_t)r;
	}
	case_dump_sum("in", in);
	unsigned char back[1024];
	evbuffer_remove(in, back, sizeof back);
	printf("same bytes, same order: %d\n",
	       memcmp(back, all + 512, 512) == 0 && memcmp(back + 512, all, 512) == 0);
	printf("write_atmost 1 of nothing: %d\n", evbuffer_write_atmost(out, sv[0], 1));
	shutdown(sv[0], SHUT_WR);
	printf("read at EOF: %d\n", evbuffer_read(in, sv[1], -1));
	close(sv[0]);
	close(sv[1]);
	evbuffer_free(out);
	evbuffer_free(in);
	printf("done\n");
	return 0;
}
