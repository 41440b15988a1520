/* evconnlistener: new_bind on 127.0.0.1:0 (LEV_OPT_REUSEABLE|
 * LEV_OPT_CLOSE_ON_FREE; the port read with getsockname on get_fd); three
 * connections, three callbacks in connection order, each with the peer's
 * address (family, length, the client's own port) and an accepted socket
 * that is non-blocking and not close-on-exec; disable (a connection waits
 * in the backlog until enable); get_base; set_error_cb (accept failing with
 * EMFILE under a lowered RLIMIT_NOFILE); evconnlistener_new on a socket
 * that already listens (backlog 0) with LEV_OPT_LEAVE_SOCKETS_BLOCKING and
 * LEV_OPT_CLOSE_ON_EXEC, and freeing it without LEV_OPT_CLOSE_ON_FREE;
 * LEV_OPT_REUSEABLE_PORT (two listeners on one port); LEV_OPT_DISABLED;
 * a listener with no callback until set_cb; free with
 * LEV_OPT_CLOSE_ON_FREE (the fd is closed, connections are refused).
 * The clients are blocking sockets of this process: connect() returns once
 * the kernel has queued the connection, before the loop accepts it. */
#include "diffb_case.h"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/listener.h>

static struct event_base *base;
static int accepted;
static int expect;
static unsigned short client_ports[8];
static int nclients;

static int client(unsigned short port)
{
	int fd = case_tcp_connect(port);
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	if (getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		case_fail("getsockname");
	client_ports[nclients++] = ntohs(sin.sin_port);
	return fd;
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *addr, int socklen, void *arg)
{
	++accepted;
	printf("  %s accept %d: fd>=0:%d family=%s socklen=%d", (const char *)arg, accepted, fd >= 0,
	       addr->sa_family == AF_INET ? "AF_INET" : "other", socklen);
	if (addr->sa_family == AF_INET) {
		struct sockaddr_in sin;
		memcpy(&sin, addr, sizeof sin);
		int which = -1;
		for (int i = 0; i < nclients; ++i)
			if (client_ports[i] == ntohs(sin.sin_port))
				which = i;
		printf(" loopback=%d client=%d", sin.sin_addr.s_addr == htonl(INADDR_LOOPBACK), which);
	}
	int fl = fcntl(fd, F_GETFL);
	int fdfl = fcntl(fd, F_GETFD);
	printf(" nonblocking=%d cloexec=%d\n", (fl & O_NONBLOCK) != 0, (fdfl & FD_CLOEXEC) != 0);
	printf("  get_base inside: %d\n", evconnlistener_get_base(lev) == base);
	close(fd);
	if (accepted >= expect) {
		printf("  disable: %d\n", evconnlistener_disable(lev));
	}
}

static void on_error(struct evconnlistener *lev, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	printf("  %s error cb: %s\n", (const char *)arg, case_errno_name(err));
	printf("  disable: %d\n", evconnlistener_disable(lev));
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct evconnlistener *lev = (struct evconnlistener *)arg;
	printf("  timer: accepted so far %d, enable: %d\n", accepted, evconnlistener_enable(lev));
}

static unsigned short port_of(evutil_socket_t fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	if (getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		case_fail("getsockname");
	return ntohs(sin.sin_port);
}

static void run(int want)
{
	accepted = 0;
	expect = want;
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("accepted: %d\n", accepted);
}

/* connect() to 127.0.0.1:port; 0 or the errno's name. */
static const char *try_connect(unsigned short port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		case_fail("socket");
	struct sockaddr_in sin = case_loopback(port);
	int r = connect(fd, (struct sockaddr *)&sin, sizeof sin);
	int err = errno;
	close(fd);
	return r == 0 ? "0" : case_errno_name(err);
}

int main(void)
{
	case_start();
	base = event_base_new();
	int c[8];

	printf("-- new_bind, three connections\n");
	struct sockaddr_in sin = case_loopback(0);
	struct evconnlistener *lev = evconnlistener_new_bind(base, on_accept, "L", LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE,
	                                                     -1, (struct sockaddr *)&sin, sizeof sin);
	printf("new_bind: %s\n", lev ? "ok" : "NULL");
	evutil_socket_t lfd = evconnlistener_get_fd(lev);
	unsigned short port = port_of(lfd);
	printf("get_fd>=0: %d, port>0: %d\n", lfd >= 0, port > 0);
	printf("get_base: %d\n", evconnlistener_get_base(lev) == base);
	for (int i = 0; i < 3; ++i)
		c[i] = client(port);
	run(3);

	printf("-- disable / enable\n");
	printf("enable: %d\n", evconnlistener_enable(lev));
	printf("disable: %d\n", evconnlistener_disable(lev));
	printf("disable again: %d\n", evconnlistener_disable(lev));
	c[3] = client(port);
	struct event *timer = evtimer_new(base, on_timer, lev);
	struct timeval tv = case_ms(100);
	evtimer_add(timer, &tv);
	run(1);

	printf("-- accept fails: the error callback\n");
	evconnlistener_set_error_cb(lev, on_error);
	c[4] = client(port);
	struct rlimit old_limit, limit;
	getrlimit(RLIMIT_NOFILE, &old_limit);
	int probe = dup(0);
	if (probe < 0)
		case_fail("dup");
	close(probe);
	limit = old_limit;
	limit.rlim_cur = (rlim_t)probe;
	if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
		case_fail("setrlimit");
	printf("enable: %d\n", evconnlistener_enable(lev));
	run(1);
	setrlimit(RLIMIT_NOFILE, &old_limit);
	printf("limit restored, enable: %d\n", evconnlistener_enable(lev));
	run(1);
	printf("set_error_cb NULL\n");
	evconnlistener_set_error_cb(lev, NULL);

	printf("-- free with LEV_OPT_CLOSE_ON_FREE\n");
	evconnlistener_free(lev);
	printf("fd closed: %d\n", fcntl(lfd, F_GETFD) == -1);
	printf("connect after free: %s\n", try_connect(port));

	printf("-- evconnlistener_new on a listening socket\n");
	int own = case_tcp_listener(&port);
	lev = evconnlistener_new(base, on_accept, "N", LEV_OPT_LEAVE_SOCKETS_BLOCKING | LEV_OPT_CLOSE_ON_EXEC, 0, own);
	printf("new: %s, get_fd is the socket: %d\n", lev ? "ok" : "NULL", evconnlistener_get_fd(lev) == own);
	c[5] = client(port);
	run(1);
	evconnlistener_free(lev);
	printf("fd open after free without LEV_OPT_CLOSE_ON_FREE: %d\n", fcntl(own, F_GETFD) != -1);
	printf("connect after free: %s\n", try_connect(port));
	close(own);

	printf("-- LEV_OPT_REUSEABLE_PORT\n");
	sin = case_loopback(0);
	lev = evconnlistener_new_bind(base, on_accept, "P",
	                              LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_FREE, 16,
	                              (struct sockaddr *)&sin, sizeof sin);
	printf("new_bind: %s\n", lev ? "ok" : "NULL");
	port = port_of(evconnlistener_get_fd(lev));
	sin = case_loopback(port);
	struct evconnlistener *lev2 = evconnlistener_new_bind(
		base, on_accept, "P2", LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_FREE, 16,
		(struct sockaddr *)&sin, sizeof sin);
	printf("second new_bind on the same port with LEV_OPT_REUSEABLE_PORT: %s\n", lev2 ? "ok" : "NULL");
	if (lev2)
		evconnlistener_free(lev2);
	struct evconnlistener *lev3 = evconnlistener_new_bind(base, on_accept, "P3", LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE,
	                                                      16, (struct sockaddr *)&sin, sizeof sin);
	printf("third new_bind on the same port without it: %s\n", lev3 ? "ok" : "NULL");
	if (lev3)
		evconnlistener_free(lev3);
	c[6] = client(port);
	run(1);
	evconnlistener_free(lev);

	printf("-- LEV_OPT_DISABLED, no callback until set_cb\n");
	sin = case_loopback(0);
	lev = evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED, -1,
	                              (struct sockaddr *)&sin, sizeof sin);
	printf("new_bind with no callback, disabled: %s\n", lev ? "ok" : "NULL");
	port = port_of(evconnlistener_get_fd(lev));
	c[7] = client(port);
	printf("dispatch (nothing to wait for): %d\n", event_base_dispatch(base));
	printf("enable with no callback: %d\n", evconnlistener_enable(lev));
	printf("dispatch (still nothing): %d\n", event_base_dispatch(base));
	printf("set_cb\n");
	evconnlistener_set_cb(lev, on_accept, "S");
	run(1);
	evconnlistener_free(lev);

	for (int i = 0; i < 8; ++i)
		close(c[i]);
	event_free(timer);
	event_base_free(base);
	printf("done\n");
	return 0;
}
