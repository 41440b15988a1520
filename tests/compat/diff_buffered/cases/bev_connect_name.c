/* bufferevent_socket_connect_hostname with a name, "localhost" (from
 * /etc/hosts, AF_INET: 127.0.0.1), and no evdns base: connected, then "hi"
 * goes out and "ho" comes back; with a name that cannot resolve (".invalid"
 * is reserved, RFC 6761, and no name server is asked for a single label
 * that getaddrinfo refuses), BEV_EVENT_ERROR with a non-zero dns error.
 * Nothing is printed between the call and the dispatch: libevent resolves
 * inside the call, eddy on a thread of its own, so the socket exists at
 * different times; what the program sees through its callbacks is the same.
 * A timer of 0 s armed before the call runs first in both; none is armed
 * for the failing name, whose error libevent reports from inside the call
 * and eddy once the lookup thread answers, so the results of the call and
 * the dispatch are printed after both. */
#include "diffb_case.h"

#include <signal.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

static int listen_fd;

static void serve_one(void)
{
	int fd = accept(listen_fd, NULL, NULL);
	char buf[2];
	if (fd < 0)
		case_fail("accept");
	printf("  server got %lu bytes\n", (unsigned long)case_read_full(fd, buf, 2));
	case_write(fd, "ho", 2);
	close(fd);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	(void)arg;
	printf("  read cb: ");
	case_dump("input", in);
	bufferevent_free(bev);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)arg;
	printf("  write cb\n");
	serve_one();
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	printf("  event cb: 0x%x", case_flags(what));
	if (what & BEV_EVENT_ERROR)
		printf(", dns error non-zero: %d", bufferevent_socket_get_dns_error(bev) != 0);
	printf("\n");
	if (what & BEV_EVENT_CONNECTED) {
		bufferevent_write(bev, "hi", 2);
		bufferevent_enable(bev, EV_READ);
		return;
	}
	bufferevent_free(bev);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	printf("  timer\n");
}

static void connect_to(struct event_base *base, const char *name, unsigned short port, int with_timer)
{
	struct timeval zero = {0, 0};
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (with_timer)
		event_base_once(base, -1, EV_TIMEOUT, on_timer, NULL, &zero);
	bufferevent_setcb(bev, on_read, on_write, on_event, NULL);
	printf("-- %s\n", name);
	int r = bufferevent_socket_connect_hostname(bev, NULL, AF_INET, name, port);
	int d = event_base_dispatch(base);
	printf("connect_hostname: %d, dispatch: %d\n", r, d);
}

int main(void)
{
	unsigned short port;
	struct event_base *base;
	case_start();
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	listen_fd = case_tcp_listener(&port);
	connect_to(base, "localhost", port, 1);
	connect_to(base, "no-such-host.invalid", port, 0);
	close(listen_fd);
	event_base_free(base);
	printf("done\n");
	return 0;
}
