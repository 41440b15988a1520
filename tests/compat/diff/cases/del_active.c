/* event_del removes an event from the active queue: when two events are
 * active in one loop iteration and the first callback deletes the second,
 * the second callback never runs. Covered for two readable fds, two expired
 * timers, and events made active with event_active (deleted before the loop
 * and from another callback). */
#include "diff_case.h"

#include <event2/event.h>

#define ALL (EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL | EV_CLOSED)

static struct event *evs[2];
static int calls;

/* Whichever of the pair runs first deletes the other; the output does not
 * depend on which one the backend reports first. */
static void on_pair(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	struct event *other = evs[(arg == (void *)&evs[0]) ? 1 : 0];
	++calls;
	printf("pair callback #%d: what=0x%x\n", calls, case_flags(what));
	if (calls == 1) {
		printf("  other pending before del: 0x%x\n", (unsigned)event_pending(other, ALL, NULL));
		printf("  del other: %d\n", event_del(other));
		printf("  other pending after del: 0x%x\n", (unsigned)event_pending(other, ALL, NULL));
	}
}

static struct event *victim;

static void on_named(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("%s: what=0x%x\n", (const char *)arg, case_flags(what));
	if (victim) {
		printf("  del victim: %d\n", event_del(victim));
		victim = NULL;
	}
}

static void run_pair(struct event_base *base, const char *title)
{
	calls = 0;
	printf("%s: loop=%d\n", title, event_base_loop(base, 0));
	printf("%s: callbacks=%d\n", title, calls);
	event_free(evs[0]);
	event_free(evs[1]);
}

int main(void)
{
	case_start();
	struct event_base *base = event_base_new();

	/* Two readable pipes, both reported by one poll. */
	int a[2], b[2];
	case_pipe(a);
	case_pipe(b);
	evs[0] = event_new(base, a[0], EV_READ, on_pair, &evs[0]);
	evs[1] = event_new(base, b[0], EV_READ, on_pair, &evs[1]);
	event_add(evs[0], NULL);
	event_add(evs[1], NULL);
	case_write(a[1], "x", 1);
	case_write(b[1], "y", 1);
	run_pair(base, "fds");

	/* Two timers that have both expired when the loop starts. */
	evs[0] = evtimer_new(base, on_pair, &evs[0]);
	evs[1] = evtimer_new(base, on_pair, &evs[1]);
	struct timeval tv = case_ms(10);
	evtimer_add(evs[0], &tv);
	tv = case_ms(20);
	evtimer_add(evs[1], &tv);
	usleep(60000);
	run_pair(base, "timers");

	/* event_active, then event_del before the loop runs. */
	struct event *d = event_new(base, a[0], EV_READ, on_named, "activated-then-deleted");
	event_active(d, EV_WRITE, 0);
	printf("activated pending: 0x%x\n", (unsigned)event_pending(d, ALL, NULL));
	printf("del activated: %d\n", event_del(d));
	printf("activated pending after del: 0x%x\n", (unsigned)event_pending(d, ALL, NULL));
	printf("loop: %d\n", event_base_loop(base, 0));

	/* f and e activated in that order: f's callback deletes e. */
	struct event *f = event_new(base, -1, 0, on_named, "f");
	struct event *e = event_new(base, -1, 0, on_named, "e");
	event_active(f, EV_TIMEOUT, 0);
	event_active(e, EV_TIMEOUT, 0);
	victim = e;
	printf("loop: %d\n", event_base_loop(base, 0));
	printf("e pending: 0x%x\n", (unsigned)event_pending(e, ALL, NULL));

	event_free(d);
	event_free(e);
	event_free(f);
	event_base_free(base);
	printf("done\n");
	return 0;
}
