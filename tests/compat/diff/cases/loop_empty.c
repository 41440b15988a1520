/* Return values of event_base_loop/event_base_dispatch: 1 when the base has
 * no events (whatever the flags, unless EVLOOP_NO_EXIT_ON_EMPTY), 0 after
 * EVLOOP_NONBLOCK with pending but inactive events, 0 after a loopexit or a
 * loopbreak, 0 with EVLOOP_NO_EXIT_ON_EMPTY ended by a loopexit timer. */
#include "diff_case.h"

#include <event2/event.h>

static struct event_base *base;

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("  %s: what=0x%x\n", (const char *)arg, case_flags(what));
}

static void on_break(evutil_socket_t fd, short what, void *arg)
{
	on_timer(fd, what, arg);
	printf("  loopbreak: %d\n", event_base_loopbreak(base));
}

int main(void)
{
	case_start();
	int p[2];
	case_pipe(p);
	base = event_base_new();

	printf("empty loop(0): %d\n", event_base_loop(base, 0));
	printf("empty loop(NONBLOCK): %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
	printf("empty loop(ONCE): %d\n", event_base_loop(base, EVLOOP_ONCE));
	printf("empty loop(ONCE|NONBLOCK): %d\n", event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK));
	printf("empty dispatch: %d\n", event_base_dispatch(base));
	printf("empty loop(NO_EXIT_ON_EMPTY|NONBLOCK): %d\n",
	       event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY | EVLOOP_NONBLOCK));

	struct event *r = event_new(base, p[0], EV_READ, on_timer, "read");
	event_add(r, NULL);
	printf("pending read, loop(NONBLOCK): %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
	event_del(r);
	printf("after del, loop(NONBLOCK): %d\n", event_base_loop(base, EVLOOP_NONBLOCK));

	struct timeval tv = case_ms(30);
	printf("loopexit(30 ms): %d\n", event_base_loopexit(base, &tv));
	printf("NO_EXIT_ON_EMPTY with loopexit timer: %d\n", event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY));
	printf("got_exit: %d\n", event_base_got_exit(base));

	tv = case_ms(30);
	event_base_loopexit(base, &tv);
	printf("only a loopexit timer, loop(0): %d\n", event_base_loop(base, 0));
	printf("got_exit: %d\n", event_base_got_exit(base));

	struct event *t = evtimer_new(base, on_timer, "timer");
	tv = case_ms(10);
	evtimer_add(t, &tv);
	printf("one timer, dispatch: %d\n", event_base_dispatch(base));

	struct event *b = evtimer_new(base, on_break, "break-timer");
	tv = case_ms(10);
	evtimer_add(b, &tv);
	event_add(r, NULL);
	printf("timer doing loopbreak next to a pending read, dispatch: %d\n", event_base_dispatch(base));
	event_del(r);

	tv = case_ms(10);
	evtimer_add(b, &tv);
	printf("NO_EXIT_ON_EMPTY, timer doing loopbreak: %d\n", event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY));

	tv = case_ms(10);
	evtimer_add(t, &tv);
	printf("ONCE with one timer: %d\n", event_base_loop(base, EVLOOP_ONCE));

	event_free(r);
	event_free(t);
	event_free(b);
	event_base_free(base);
	printf("done\n");
	return 0;
}
