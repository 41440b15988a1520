/* Legacy 1.4-style API through <event.h>: event_init makes the current base;
 * event_set + event_base_set + event_add on a malloc'ed struct event;
 * event_dispatch, event_loop, event_loopexit and event_once act on the
 * current base; event_base_dispatch on the base event_init returned. Loops
 * return 1 when no events are left and 0 after a loopexit. */
#include "diff_case.h"

#include <event.h>

static int fds[2];

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	char c = '-';
	ssize_t n = read(fd, &c, 1);
	printf("%s: fd ok=%d what=0x%x read=%d byte=%c\n", (const char *)arg,
	       fd == fds[0], case_flags(what), (int)n, c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	printf("%s: fd=%d what=0x%x\n", (const char *)arg, (int)fd, case_flags(what));
}

int main(void)
{
	case_start();
	case_pipe(fds);

	struct event_base *base = event_init();
	printf("event_init: %s\n", base ? "base" : "NULL");
	if (!base)
		return 1;

	struct event *ev = malloc(sizeof(struct event));
	struct event *tm = malloc(sizeof(struct event));
	if (!ev || !tm)
		case_fail("malloc");

	/* One-shot read event, dispatched on the current base. */
	event_set(ev, fds[0], EV_READ, on_read, "read");
	printf("event_base_set: %d\n", event_base_set(base, ev));
	printf("event_add: %d\n", event_add(ev, NULL));
	case_write(fds[1], "a", 1);
	printf("event_dispatch: %d\n", event_dispatch());

	/* Timer through the evtimer_set macro, run with event_loop(0). */
	evtimer_set(tm, on_timer, "timer");
	printf("event_base_set timer: %d\n", event_base_set(base, tm));
	struct timeval tv = case_ms(10);
	printf("evtimer_add: %d\n", evtimer_add(tm, &tv));
	printf("event_loop(0): %d\n", event_loop(0));

	/* A persistent read event that never fires; event_loopexit ends the loop. */
	event_set(ev, fds[0], EV_READ | EV_PERSIST, on_read, "persist");
	printf("event_add persist: %d\n", event_add(ev, NULL));
	tv = case_ms(20);
	printf("event_loopexit: %d\n", event_loopexit(&tv));
	printf("event_dispatch with loopexit: %d\n", event_dispatch());
	printf("persist still pending: 0x%x\n", (unsigned)event_pending(ev, EV_READ, NULL));
	printf("event_del: %d\n", event_del(ev));
	printf("event_del again: %d\n", event_del(ev));

	/* event_once: an fd once-event and a timeout once-event. */
	tv = case_ms(30);
	printf("event_once timer: %d\n", event_once(-1, EV_TIMEOUT, on_timer, "once-timer", &tv));
	printf("event_once read: %d\n", event_once(fds[0], EV_READ, on_read, "once-read", NULL));
	case_write(fds[1], "b", 1);
	printf("event_loop(0) with once events: %d\n", event_loop(0));

	/* Nothing left: every loop flavour returns 1. */
	printf("event_loop(EVLOOP_NONBLOCK): %d\n", event_loop(EVLOOP_NONBLOCK));
	printf("event_loop(EVLOOP_ONCE): %d\n", event_loop(EVLOOP_ONCE));
	printf("event_dispatch empty: %d\n", event_dispatch());

	/* event_base_dispatch on the base event_init returned. */
	tv = case_ms(10);
	printf("evtimer_add again: %d\n", evtimer_add(tm, &tv));
	printf("evtimer_pending: 0x%x\n", (unsigned)evtimer_pending(tm, NULL));
	printf("event_base_dispatch: %d\n", event_base_dispatch(base));
	printf("evtimer_pending after: 0x%x\n", (unsigned)evtimer_pending(tm, NULL));

	free(ev);
	free(tm);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
	printf("done\n");
	return 0;
}
