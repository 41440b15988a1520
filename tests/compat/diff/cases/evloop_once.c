/* EVLOOP_ONCE: block until at least one event is active, run the active
 * events (of every priority, over as many iterations as it takes to empty
 * the active queues), then return 0; events that become active from a
 * callback in the same queue run too, a zero timeout added from a callback
 * does not; with no events it returns 1. */
#include "diff_case.h"

#include <string.h>

#include <event2/event.h>

static struct event_base *base;
static struct event *other;
static struct event *zero;

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	const char *name = arg;
	if (fd >= 0 && (what & EV_READ)) {
		char c;
		if (read(fd, &c, 1) != 1)
			case_fail("read");
	}
	printf("  %s: what=0x%x\n", name, case_flags(what));
	if (strcmp(name, "A") == 0 && other) {
		event_active(other, EV_TIMEOUT, 0);
		printf("  A activated B\n");
	}
	if (strcmp(name, "Z") == 0 && zero) {
		struct timeval tv = {0, 0};
		printf("  Z added a zero timer: %d\n", evtimer_add(zero, &tv));
	}
}

int main(void)
{
	case_start();
	int p[2], q[2];
	case_pipe(p);
	case_pipe(q);
	base = event_base_new();

	printf("timers at 20 and 300 ms:\n");
	struct event *t20 = evtimer_new(base, on_event, "t20");
	struct event *t300 = evtimer_new(base, on_event, "t300");
	struct timeval tv = case_ms(20);
	evtimer_add(t20, &tv);
	tv = case_ms(300);
	evtimer_add(t300, &tv);
	printf("loop(ONCE): %d\n", event_base_loop(base, EVLOOP_ONCE));
	printf("t300 pending: 0x%x\n", (unsigned)evtimer_pending(t300, NULL));
	printf("loop(ONCE): %d\n", event_base_loop(base, EVLOOP_ONCE));
	printf("no events, loop(ONCE): %d\n", event_base_loop(base, EVLOOP_ONCE));

	printf("two readable pipes:\n");
	struct event *rp = event_new(base, p[0], EV_READ, on_event, "read");
	struct event *rq = event_new(base, q[0], EV_READ, on_event, "read");
	event_add(rp, NULL);
	event_add(rq, NULL);
	case_write(p[1], "x", 1);
	case_write(q[1], "y", 1);
	printf("loop(ONCE): %d\n", event_base_loop(base, EVLOOP_ONCE));

	printf("A activates B from its callback:\n");
	struct event *a = event_new(base, -1, 0, on_event, "A");
	other = event_new(base, -1, 0, on_event, "B");
	event_active(a, EV_TIMEOUT, 0);
	printf("loop(ONCE): %d\n", event_base_loop(base, EVLOOP_ONCE));

	printf("Z adds a zero-timeout timer from its callback:\n");
	struct event *z = event_new(base, -1, 0, on_event, "Z");
	zero = evtimer_new(base, on_event, "zero-timer");
	event_active(z, EV_TIMEOUT, 0);
	printf("loop(ONCE): %d\n", event_base_loop(base, EVLOOP_ONCE));
	printf("zero timer pending: 0x%x\n", (unsigned)evtimer_pending(zero, NULL));
	printf("loop(ONCE): %d\n", event_base_loop(base, EVLOOP_ONCE));

	printf("two priorities active together:\n");
	struct event *hi = event_new(base, -1, 0, on_event, "high");
	struct event *lo = event_new(base, -1, 0, on_event, "low");
	event_base_priority_init(base, 2);
	event_priority_set(hi, 0);
	event_priority_set(lo, 1);
	event_active(lo, EV_TIMEOUT, 0);
	event_active(hi, EV_TIMEOUT, 0);
	printf("loop(ONCE): %d\n", event_base_loop(base, EVLOOP_ONCE));

	event_add(rp, NULL);
	printf("pending read only, loop(ONCE|NONBLOCK): %d\n", event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK));
	event_del(rp);

	event_free(t20);
	event_free(t300);
	event_free(rp);
	event_free(rq);
	event_free(a);
	event_free(other);
	event_free(z);
	event_free(zero);
	event_free(hi);
	event_free(lo);
	event_base_free(base);
	printf("done\n");
	return 0;
}
