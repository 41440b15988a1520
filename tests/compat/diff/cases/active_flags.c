/* event_active with custom flags: the callback receives exactly the flags
 * given; activating an already-active event again ORs the new flags into the
 * pending result and the callback still runs once; real readiness in the
 * same iteration ORs in too; event_active works on an event that was never
 * added and on a timer-only event (a non-persistent one is then no longer
 * pending); an event re-activated from its own callback runs again. */
#include "diff_case.h"

#include <event2/event.h>

#define ALL (EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL | EV_CLOSED)

static int self_calls;
static struct event *self_ev;

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("  %s: what=0x%x\n", (const char *)arg, case_flags(what));
	if (what & EV_READ && fd >= 0 && arg != NULL && ((const char *)arg)[0] == 'r') {
		char c;
		if (read(fd, &c, 1) != 1)
			case_fail("read");
	}
}

static void on_self(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	++self_calls;
	printf("  self: call %d what=0x%x\n", self_calls, case_flags(what));
	if (self_calls < 3)
		event_active(self_ev, (short)(self_calls == 1 ? EV_WRITE : EV_CLOSED), 0);
}

static void show(struct event_base *base, struct event *ev, const char *title)
{
	printf("%s: pending before loop=0x%x\n", title, (unsigned)event_pending(ev, ALL, NULL));
	printf("%s: loop(NONBLOCK)=%d\n", title, event_base_loop(base, EVLOOP_NONBLOCK));
	printf("%s: pending after loop=0x%x\n", title, (unsigned)event_pending(ev, ALL, NULL));
}

int main(void)
{
	case_start();
	int p[2];
	case_pipe(p);
	struct event_base *base = event_base_new();

	/* Added, not ready; activated twice. */
	struct event *ev = event_new(base, p[0], EV_READ, on_event, "added");
	event_add(ev, NULL);
	event_active(ev, EV_READ, 0);
	event_active(ev, EV_WRITE, 0);
	show(base, ev, "added, READ then WRITE");
	event_free(ev);

	/* Never added; unusual flag combinations. */
	ev = event_new(base, p[0], EV_READ, on_event, "not-added");
	event_active(ev, EV_TIMEOUT, 0);
	event_active(ev, EV_SIGNAL | EV_CLOSED, 0);
	show(base, ev, "not added, TIMEOUT then SIGNAL|CLOSED");
	event_active(ev, EV_WRITE | EV_READ, 5);
	show(base, ev, "not added, WRITE|READ with ncalls 5");
	event_free(ev);

	/* Added and really readable, plus event_active(EV_WRITE). */
	ev = event_new(base, p[0], EV_READ | EV_PERSIST, on_event, "readable");
	event_add(ev, NULL);
	case_write(p[1], "x", 1);
	event_active(ev, EV_WRITE, 0);
	show(base, ev, "readable persistent + WRITE");
	event_del(ev);
	event_free(ev);

	/* Timer-only events. */
	ev = evtimer_new(base, on_event, "timer");
	struct timeval tv = case_ms(5000);
	evtimer_add(ev, &tv);
	event_active(ev, EV_TIMEOUT, 0);
	show(base, ev, "pending 5 s timer activated");
	printf("loop after (no events left): %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
	event_active(ev, EV_READ, 0);
	show(base, ev, "timer never added, activated READ");
	event_free(ev);

	ev = event_new(base, -1, EV_PERSIST, on_event, "persistent timer");
	evtimer_add(ev, &tv);
	event_active(ev, EV_TIMEOUT, 0);
	show(base, ev, "persistent 5 s timer activated");
	event_del(ev);
	event_free(ev);

	/* Re-activated from its own callback. */
	self_ev = event_new(base, -1, 0, on_self, NULL);
	event_active(self_ev, EV_READ, 0);
	show(base, self_ev, "self re-activation");
	event_free(self_ev);

	event_base_free(base);
	printf("done\n");
	return 0;
}
