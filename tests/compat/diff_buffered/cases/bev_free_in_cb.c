/* bufferevent_free inside the bufferevent's own read callback, with data
 * written earlier (already sent by the loop) and data just written (still in
 * the output buffer): what the peer receives, and whether it then sees EOF.
 * With BEV_OPT_CLOSE_ON_FREE the fd is closed (fcntl(fd, F_GETFD) fails
 * once the loop is done); without it the fd stays open and the peer sees
 * neither more data nor EOF. Also freeing inside the event callback and
 * inside the write callback. */
#include "diffb_case.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

static int sent_early;

static void on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	printf("  %s read cb: ", (const char *)arg);
	case_dump("input", in);
	printf("  writes \"late reply\": %d\n", bufferevent_write(bev, "late reply", 10));
	printf("  output len=%lu, free {\n", (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
	bufferevent_free(bev);
	printf("  }\n");
}

static void on_write(struct bufferevent *bev, void *arg)
{
	printf("  %s write cb: output len=%lu\n", (const char *)arg,
	       (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
	sent_early = 1;
	if (strcmp((const char *)arg, "free in write cb") == 0) {
		printf("  free {\n");
		bufferevent_free(bev);
		printf("  }\n");
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	printf("  %s event cb: 0x%x, free {\n", (const char *)arg, case_flags(what));
	bufferevent_free(bev);
	printf("  }\n");
}

/* What the peer can read now, without blocking: data, then EOF or not. */
static void peer_reads(int fd)
{
	case_nonblock(fd);
	char buf[256];
	size_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf + total, sizeof buf - total);
		if (n > 0) {
			total += (size_t)n;
			continue;
		}
		printf("peer received %lu bytes: ", (unsigned long)total);
		case_print_bytes(buf, total);
		if (n == 0)
			printf(", then EOF\n");
		else
			printf(", then %s\n", case_errno_name(errno));
		return;
	}
}

static void scenario(struct event_base *base, int options, const char *name)
{
	int sv[2];
	case_socketpair(sv);
	struct bufferevent *bev = bufferevent_socket_new(base, sv[0], options);
	bufferevent_setcb(bev, on_read, on_write, on_event, (void *)name);
	bufferevent_enable(bev, EV_READ);
	/* "early" goes out in the first iteration (the write callback says so),
	 * then the peer's request arrives. */
	bufferevent_write(bev, "early ", 6);
	sent_early = 0;
	while (!sent_early)
		event_base_loop(base, EVLOOP_ONCE);
	case_write(sv[1], "request", 7);
	printf("dispatch: %d\n", event_base_dispatch(base));
	int closed = fcntl(sv[0], F_GETFD) == -1;
	printf("fd closed: %d\n", closed);
	peer_reads(sv[1]);
	if (!closed)
		close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	case_start();
	struct event_base *base = event_base_new();

	printf("-- free in the read callback, BEV_OPT_CLOSE_ON_FREE\n");
	scenario(base, BEV_OPT_CLOSE_ON_FREE, "close on free");
	printf("-- free in the read callback, no options\n");
	scenario(base, 0, "no options");

	printf("-- free in the event callback (EOF)\n");
	int sv[2];
	case_socketpair(sv);
	struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, NULL, on_write, on_event, "eof");
	bufferevent_enable(bev, EV_READ);
	close(sv[1]);
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("fd closed: %d\n", fcntl(sv[0], F_GETFD) == -1);

	printf("-- free in the write callback\n");
	case_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, NULL, on_write, on_event, "free in write cb");
	bufferevent_write(bev, "bye", 3);
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("fd closed: %d\n", fcntl(sv[0], F_GETFD) == -1);
	peer_reads(sv[1]);
	close(sv[1]);

	event_base_free(base);
	printf("done\n");
	return 0;
}
