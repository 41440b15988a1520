/* The event callback's flags and errno for the ways a connection ends:
 * the peer closes (BEV_EVENT_READING|BEV_EVENT_EOF), the peer resets a TCP
 * loopback connection (SO_LINGER 0: BEV_EVENT_READING|BEV_EVENT_ERROR with
 * ECONNRESET), writing to a peer that is gone (BEV_EVENT_WRITING|
 * BEV_EVENT_ERROR with EPIPE; SIGPIPE ignored). What the bufferevent has
 * enabled inside the event callback and whether data that arrived before
 * the EOF reaches the read callback first are printed too. */
#include "diffb_case.h"

#include <poll.h>
#include <signal.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

/* Waits (up to 5 s) until the reset has reached fd: it polls readable,
 * and the pending error stays for the bufferevent to find. */
static void wait_for_reset(int fd)
{
	struct pollfd p;
	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 5000) != 1)
		case_fail("poll for the reset");
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	printf("  %s read cb: ", (const char *)arg);
	case_dump("input", in);
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void on_write(struct bufferevent *bev, void *arg)
{
	printf("  %s write cb: output len=%lu\n", (const char *)arg,
	       (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	printf("  %s event cb: 0x%x", (const char *)arg, case_flags(what));
	if (what & BEV_EVENT_ERROR)
		printf(" error %s", case_errno_name(err));
	printf(", enabled inside=0x%x\n", case_flags(bufferevent_get_enabled(bev)));
	bufferevent_free(bev);
}

int main(void)
{
	case_start();
	signal(SIGPIPE, SIG_IGN);
	struct event_base *base = event_base_new();
	struct bufferevent *bev;
	int sv[2];

	printf("-- the peer closes after writing\n");
	case_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, on_read, on_write, on_event, "close");
	bufferevent_enable(bev, EV_READ);
	case_write(sv[1], "last words", 10);
	close(sv[1]);
	printf("dispatch: %d\n", event_base_dispatch(base));

	printf("-- the peer shuts its writing side down\n");
	case_socketpair(sv);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, on_read, on_write, on_event, "shutdown");
	bufferevent_enable(bev, EV_READ);
	shutdown(sv[1], SHUT_WR);
	printf("dispatch: %d\n", event_base_dispatch(base));
	close(sv[1]);

	printf("-- the peer resets a TCP connection\n");
	unsigned short port;
	int lfd = case_tcp_listener(&port);
	int cfd = case_tcp_connect(port);
	int afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		case_fail("accept");
	bev = bufferevent_socket_new(base, cfd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, on_read, on_write, on_event, "reset");
	bufferevent_enable(bev, EV_READ);
	struct linger lg;
	lg.l_onoff = 1;
	lg.l_linger = 0;
	if (setsockopt(afd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0)
		case_fail("SO_LINGER");
	close(afd);
	wait_for_reset(cfd);
	printf("dispatch: %d\n", event_base_dispatch(base));

	printf("-- writing to a peer that is gone\n");
	case_socketpair(sv);
	close(sv[1]);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, on_read, on_write, on_event, "write");
	printf("enabled: 0x%x\n", case_flags(bufferevent_get_enabled(bev)));
	printf("write: %d\n", bufferevent_write(bev, "into the void", 13));
	printf("dispatch: %d\n", event_base_dispatch(base));

	printf("-- writing to a TCP peer that reset the connection\n");
	cfd = case_tcp_connect(port);
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		case_fail("accept");
	if (setsockopt(afd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0)
		case_fail("SO_LINGER");
	close(afd);
	wait_for_reset(cfd);
	bev = bufferevent_socket_new(base, cfd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, on_read, on_write, on_event, "tcp write");
	printf("write: %d\n", bufferevent_write(bev, "too late", 8));
	printf("dispatch: %d\n", event_base_dispatch(base));

	close(lfd);
	event_base_free(base);
	printf("done\n");
	return 0;
}
