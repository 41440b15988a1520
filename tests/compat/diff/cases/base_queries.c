/* Questions a program asks a base: event_get_version matches the header;
 * event_base_init_common_timeout hands out one marked timeval per duration
 * (the same pointer again, also for 5000000 us against 5 s, and for the
 * marked value itself) that works as a timeout; event_base_active_by_fd
 * with EV_TIMEOUT times out the fd's events that have a timeout and
 * nothing else; event_base_foreach_event visits added, timer-only and
 * only-active events once each, refuses a NULL base or callback, and stops
 * at the first non-zero return; an EV_CLOSED event fires when the peer
 * closes, so EVLOOP_NONBLOCK then finds the base empty; event_add refuses
 * fds no process can have and signal numbers out of range. */
#include "diff_case.h"

#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>

static int fired[8];

static void record(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	int i = (int)(long)arg;
	fired[i] = what;
	printf("ev%d fired %#x\n", i, case_flags(what));
}

static int count_cb(const struct event_base *base, const struct event *ev, void *arg)
{
	(void)base;
	int *n = arg;
	if (event_get_callback(ev) == record)
		++*n;
	return 0;
}

static int stop_cb(const struct event_base *base, const struct event *ev, void *arg)
{
	(void)base;
	(void)ev;
	int *n = arg;
	return ++*n == 2 ? 42 : 0;
}

int main(void)
{
	case_start();
	printf("version matches header: %d\n", strcmp(event_get_version(), LIBEVENT_VERSION) == 0);

	struct event_base *base = event_base_new();
	struct timeval ms100 = case_ms(100), ms200 = case_ms(200), s5 = {5, 0}, us5M = {0, 5000000};
	const struct timeval *c100 = event_base_init_common_timeout(base, &ms100);
	const struct timeval *c200 = event_base_init_common_timeout(base, &ms200);
	const struct timeval *c5 = event_base_init_common_timeout(base, &s5);
	printf("common 100ms %ld.%#lx 200ms %ld.%#lx 5s %ld.%#lx\n", (long)c100->tv_sec, (long)c100->tv_usec,
	       (long)c200->tv_sec, (long)c200->tv_usec, (long)c5->tv_sec, (long)c5->tv_usec);
	printf("same again %d, for itself %d, 5000000us is 5s %d\n", event_base_init_common_timeout(base, &ms200) == c200,
	       event_base_init_common_timeout(base, c200) == c200, event_base_init_common_timeout(base, &us5M) == c5);

	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
		case_fail("socketpair");
	struct timeval ten_min = {600, 0};
	struct event *ev0 = event_new(base, sp[0], EV_READ, record, (void *)0L);
	struct event *ev1 = event_new(base, sp[0], EV_WRITE, record, (void *)1L);
	struct event *ev2 = event_new(base, sp[1], EV_READ | EV_PERSIST, record, (void *)2L);
	struct event *ev3 = evtimer_new(base, record, (void *)3L);
	struct event *ev4 = event_new(base, -1, 0, record, (void *)4L);
	struct event *ev5 = event_new(base, -1, 0, record, (void *)5L);
	event_add(ev0, &ten_min);
	event_add(ev1, NULL);
	event_add(ev2, c100);
	struct timeval ms150 = case_ms(150);
	event_add(ev3, event_base_init_common_timeout(base, &ms150));
	event_active(ev4, EV_READ, 1);

	int n = 0;
	printf("foreach NULL base %d, NULL callback %d\n", event_base_foreach_event(NULL, count_cb, &n),
	       event_base_foreach_event(base, NULL, &n));
	int r = event_base_foreach_event(base, count_cb, &n);
	printf("foreach = %d, visited %d\n", r, n);
	n = 0;
	r = event_base_foreach_event(base, stop_cb, &n);
	printf("foreach stopping = %d after %d\n", r, n);

	event_base_active_by_fd(base, sp[0], EV_TIMEOUT);
	event_base_loop(base, EVLOOP_ONCE);
	printf("ev0 pending %#x ev1 pending %#x\n", case_flags((short)event_pending(ev0, EV_READ | EV_TIMEOUT, NULL)),
	       case_flags((short)event_pending(ev1, EV_WRITE, NULL)));

	/* The common timeouts fire as timeouts: ev2 at 100 and 200 ms, ev3 at 150. */
	event_add(ev5, c5);
	event_del(ev1);
	event_del(ev0);
	struct timeval quarter = case_ms(250);
	event_base_loopexit(base, &quarter);
	event_base_dispatch(base);
	printf("ev5 pending %#x\n", case_flags((short)event_pending(ev5, EV_TIMEOUT, NULL)));
	event_free(ev0);
	event_free(ev1);
	event_free(ev2);
	event_free(ev3);
	event_free(ev4);
	event_free(ev5);

	/* EV_CLOSED alone, peer closes. */
	int cp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, cp) != 0)
		case_fail("socketpair");
	struct event *closed = event_new(base, cp[0], EV_CLOSED, record, (void *)6L);
	event_add(closed, NULL);
	close(cp[1]);
	if (event_base_get_features(base) & EV_FEATURE_EARLY_CLOSE)
		printf("loop nonblock after peer close: %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
	event_free(closed);
	close(cp[0]);

	struct event *huge = event_new(base, INT_MAX, EV_READ, record, (void *)7L);
	struct event *half = event_new(base, INT_MAX / 2, EV_READ, record, (void *)7L);
	struct event *sig_low = evsignal_new(base, -1, record, (void *)7L);
	struct event *sig_high = evsignal_new(base, NSIG, record, (void *)7L);
	printf("add fd INT_MAX %d, INT_MAX/2 %d, signal -1 %d, signal NSIG %d\n", event_add(huge, NULL) != 0,
	       event_add(half, NULL) != 0, event_add(sig_low, NULL) != 0, event_add(sig_high, NULL) != 0);
	event_free(huge);
	event_free(half);
	event_free(sig_low);
	event_free(sig_high);
	close(sp[0]);
	close(sp[1]);
	event_base_free(base);
	return 0;
}
