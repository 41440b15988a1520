/* bufferevent_socket_connect: to a listening 127.0.0.1 port
 * (BEV_EVENT_CONNECTED, then data flows both ways), to a port nobody
 * listens on (BEV_EVENT_ERROR, the bufferevent disabled), on a bufferevent
 * made with fd -1 (the connect creates the socket: getfd -1 before, >= 0
 * after) and on one made with an unconnected socket of ours (getfd keeps
 * it); bufferevent_socket_connect_hostname with "127.0.0.1" and no evdns
 * base (bufferevent_socket_get_dns_error is 0). The errno of a refused
 * connection is not printed: libevent reports a refusal that connect()
 * returns at once from a deferred callback, where errno is stale. */
#include "diffb_case.h"

#include <signal.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

static void on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	printf("  %s read cb: ", (const char *)arg);
	case_dump("input", in);
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_free(bev);
}

static int listen_fd;
static void serve_one(int lfd);

/* Once "hi" is out, the server side (blocking, in this process) takes the
 * connection, reads "hi" and answers "ho": the order is fixed. */
static void on_write(struct bufferevent *bev, void *arg)
{
	printf("  %s write cb: output len=%lu\n", (const char *)arg,
	       (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
	serve_one(listen_fd);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	printf("  %s event cb: 0x%x, getfd>=0:%d", (const char *)arg, case_flags(what), bufferevent_getfd(bev) >= 0);
	if (what & BEV_EVENT_CONNECTED)
		printf(" enabled=0x%x", case_flags(bufferevent_get_enabled(bev)));
	printf("\n");
	if (what & BEV_EVENT_CONNECTED) {
		printf("  %s writes: %d\n", (const char *)arg, bufferevent_write(bev, "hi", 2));
		bufferevent_enable(bev, EV_READ);
		return;
	}
	bufferevent_free(bev);
}

/* The server side: accepts one connection, reads "hi", answers "ho". */
static void serve_one(int lfd)
{
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		case_fail("accept");
	char buf[2];
	size_t n = case_read_full(fd, buf, 2);
	printf("  server got %lu bytes: ", (unsigned long)n);
	case_print_bytes(buf, n);
	printf("\n");
	case_write(fd, "ho", 2);
	close(fd);
}

/* A port with nothing listening: bound, then closed. */
static unsigned short closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		case_fail("socket");
	struct sockaddr_in sin = case_loopback(0);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
		case_fail("bind");
	socklen_t len = sizeof sin;
	if (getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		case_fail("getsockname");
	close(fd);
	return ntohs(sin.sin_port);
}

static struct event_base *base;

static void connect_and_talk(const char *name, struct bufferevent *bev, int use_hostname, unsigned short port)
{
	int r;
	struct sockaddr_in sin = case_loopback(port);
	bufferevent_setcb(bev, on_read, on_write, on_event, (void *)name);
	if (use_hostname)
		r = bufferevent_socket_connect_hostname(bev, NULL, AF_INET, "127.0.0.1", port);
	else
		r = bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof sin);
	printf("%s connect: %d, getfd>=0:%d\n", name, r, bufferevent_getfd(bev) >= 0);
	if (use_hostname)
		printf("%s dns error: %d\n", name, bufferevent_socket_get_dns_error(bev));
	printf("dispatch: %d\n", event_base_dispatch(base));
}

int main(void)
{
	case_start();
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	unsigned short port;
	listen_fd = case_tcp_listener(&port);
	struct bufferevent *bev;

	printf("-- connect with fd -1\n");
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	printf("getfd before connect: %d\n", (int)bufferevent_getfd(bev));
	connect_and_talk("A", bev, 0, port);

	printf("-- connect with a socket of ours\n");
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		case_fail("socket");
	evutil_make_socket_nonblocking(fd);
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	printf("getfd before connect is the socket: %d\n", bufferevent_getfd(bev) == fd);
	bufferevent_setcb(bev, on_read, on_write, on_event, "B");
	struct sockaddr_in sin = case_loopback(port);
	int r = bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof sin);
	printf("B connect: %d, getfd is the socket: %d\n", r, bufferevent_getfd(bev) == fd);
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("the socket is closed after free: %d\n", fcntl(fd, F_GETFD) == -1);

	printf("-- connect_hostname \"127.0.0.1\"\n");
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	connect_and_talk("H", bev, 1, port);

	printf("-- connect to a closed port\n");
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	connect_and_talk("C", bev, 0, closed_port());

	printf("-- connect_hostname to a closed port\n");
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	connect_and_talk("D", bev, 1, closed_port());

	close(listen_fd);
	event_base_free(base);
	printf("done\n");
	return 0;
}
