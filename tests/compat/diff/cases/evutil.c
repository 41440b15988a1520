/* evutil helpers: evutil_make_socket_nonblocking sets O_NONBLOCK;
 * evutil_make_listen_socket_reuseable sets SO_REUSEADDR on a listening TCP
 * socket (127.0.0.1); evutil_closesocket closes; evutil_gettimeofday agrees
 * with gettimeofday; evutil_timeradd/timersub carry and borrow microseconds;
 * evutil_timercmp with every operator; evutil_timerclear/timerisset. */
#include "diff_case.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/util.h>

static void show(const char *name, const struct timeval *tv)
{
	printf("%s = %ld.%06ld\n", name, (long)tv->tv_sec, (long)tv->tv_usec);
}

int main(void)
{
	case_start();

	int p[2];
	case_pipe(p);
	printf("nonblocking before: %d\n", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
	printf("make_socket_nonblocking: %d\n", evutil_make_socket_nonblocking(p[0]));
	printf("nonblocking after: %d\n", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
	char c;
	errno = 0;
	ssize_t n = read(p[0], &c, 1);
	printf("read on empty nonblocking pipe: %d EAGAIN=%d\n", (int)n, errno == EAGAIN);

	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		case_fail("socket");
	int on = 0;
	socklen_t len = sizeof on;
	getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, &len);
	printf("SO_REUSEADDR before: %d\n", on != 0);
	printf("make_listen_socket_reuseable: %d\n", evutil_make_listen_socket_reuseable(s));
	len = sizeof on;
	getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, &len);
	printf("SO_REUSEADDR after: %d\n", on != 0);
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	printf("bind 127.0.0.1:0: %d\n", bind(s, (struct sockaddr *)&sin, sizeof sin));
	printf("listen: %d\n", listen(s, 4));
	printf("closesocket: %d\n", evutil_closesocket(s));
	errno = 0;
	int fl = fcntl(s, F_GETFD);
	printf("fcntl after close: %d EBADF=%d\n", fl, errno == EBADF);
	printf("closesocket pipe: %d\n", evutil_closesocket(p[0]));
	close(p[1]);

	struct timeval ev_now, sys_now, diff;
	printf("evutil_gettimeofday: %d\n", evutil_gettimeofday(&ev_now, NULL));
	gettimeofday(&sys_now, NULL);
	evutil_timersub(&sys_now, &ev_now, &diff);
	printf("agrees with gettimeofday within 1 s: %d\n", diff.tv_sec == 0 && diff.tv_usec >= 0);

	struct timeval a = {1, 700000}, b = {2, 400000}, r;
	evutil_timeradd(&a, &b, &r);
	show("1.7 + 2.4", &r);
	evutil_timersub(&b, &a, &r);
	show("2.4 - 1.7", &r);
	evutil_timersub(&a, &b, &r);
	show("1.7 - 2.4", &r);
	struct timeval c1 = {3, 0}, c2 = {0, 999999};
	evutil_timeradd(&c1, &c2, &r);
	show("3.0 + 0.999999", &r);
	evutil_timersub(&c1, &c2, &r);
	show("3.0 - 0.999999", &r);

	struct timeval x = {5, 10}, y = {5, 20}, z = {4, 900000};
	printf("x<y=%d x>y=%d x<=y=%d x>=y=%d x==y=%d x!=y=%d\n", evutil_timercmp(&x, &y, <),
	       evutil_timercmp(&x, &y, >), evutil_timercmp(&x, &y, <=), evutil_timercmp(&x, &y, >=),
	       evutil_timercmp(&x, &y, ==), evutil_timercmp(&x, &y, !=));
	printf("x<z=%d x>z=%d x==x=%d x<=x=%d x>=x=%d\n", evutil_timercmp(&x, &z, <),
	       evutil_timercmp(&x, &z, >), evutil_timercmp(&x, &x, ==), evutil_timercmp(&x, &x, <=),
	       evutil_timercmp(&x, &x, >=));

	printf("isset x: %d\n", evutil_timerisset(&x) ? 1 : 0);
	evutil_timerclear(&x);
	show("cleared x", &x);
	printf("isset cleared: %d\n", evutil_timerisset(&x) ? 1 : 0);
	struct timeval usec_only = {0, 1};
	printf("isset {0,1}: %d\n", evutil_timerisset(&usec_only) ? 1 : 0);

	printf("done\n");
	return 0;
}
