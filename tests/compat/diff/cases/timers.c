/* Timers: several timers fire in deadline order whatever the order they were
 * added in; a zero timeout fires first, on the next iteration; adding an
 * already pending timer again reschedules it to the new deadline, later or
 * earlier; a deleted timer never fires; a timer re-added from its own
 * callback fires again.
 * Deadlines are at least 60 ms apart; a stalled process only makes several
 * timers due in one iteration, where they still run in deadline order. The
 * self re-adding timer runs alone. */
#include "diff_case.h"

#include <event2/event.h>

static struct event *rearm;
static int rearm_count;

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("%s: what=0x%x\n", (const char *)arg, case_flags(what));
}

static void on_rearm(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	++rearm_count;
	printf("%s %d: what=0x%x pending inside=0x%x\n", (const char *)arg, rearm_count, case_flags(what),
	       (unsigned)evtimer_pending(rearm, NULL));
	if (rearm_count < 3) {
		struct timeval tv = case_ms(20);
		printf("  re-add +20 ms: %d\n", evtimer_add(rearm, &tv));
	}
}

int main(void)
{
	case_start();
	struct event_base *base = event_base_new();
	struct timeval tv;

	struct event *z = evtimer_new(base, on_timer, "Z zero timeout");
	struct event *c = evtimer_new(base, on_timer, "C 300 ms");
	struct event *a = evtimer_new(base, on_timer, "A 60 ms");
	struct event *w = evtimer_new(base, on_timer, "W 500 ms moved to 120 ms");
	struct event *b = evtimer_new(base, on_timer, "B 180 ms");
	struct event *y = evtimer_new(base, on_timer, "Y 120 ms deleted");
	struct event *x = evtimer_new(base, on_timer, "X 20 ms moved to 420 ms");
	rearm = evtimer_new(base, on_rearm, "R 20 ms, re-added +20 ms");

	/* Each add comes no earlier than the ones before it, so the order of
	 * adds is chosen such that a stall between two adds can only widen the
	 * gaps the expected firing order relies on (C before A needs no stall
	 * longer than 240 ms). */
	tv = case_ms(0);
	printf("add Z: %d\n", evtimer_add(z, &tv));
	printf("Z pending: 0x%x\n", (unsigned)evtimer_pending(z, NULL));
	tv = case_ms(300);
	evtimer_add(c, &tv);
	tv = case_ms(60);
	evtimer_add(a, &tv);
	tv = case_ms(500);
	evtimer_add(w, &tv);
	tv = case_ms(120);
	printf("re-add W: %d\n", evtimer_add(w, &tv));
	tv = case_ms(180);
	evtimer_add(b, &tv);
	tv = case_ms(120);
	evtimer_add(y, &tv);
	printf("del Y: %d\n", evtimer_del(y));
	printf("Y pending: 0x%x\n", (unsigned)evtimer_pending(y, NULL));
	printf("del Y again: %d\n", evtimer_del(y));
	tv = case_ms(20);
	evtimer_add(x, &tv);
	tv = case_ms(420);
	printf("re-add X: %d\n", evtimer_add(x, &tv));
	printf("X pending: 0x%x\n", (unsigned)evtimer_pending(x, NULL));

	printf("dispatch: %d\n", event_base_dispatch(base));

	tv = case_ms(20);
	evtimer_add(rearm, &tv);
	printf("dispatch with the self re-adding timer: %d\n", event_base_dispatch(base));

	/* A zero timeout on its own. */
	tv = case_ms(0);
	evtimer_add(z, &tv);
	printf("dispatch with one zero timer: %d\n", event_base_dispatch(base));

	event_free(a);
	event_free(b);
	event_free(c);
	event_free(z);
	event_free(x);
	event_free(y);
	event_free(w);
	event_free(rearm);
	event_base_free(base);
	printf("done\n");
	return 0;
}
