/* event_finalize and event_free_finalize delete the event and queue its
 * finalizer, which runs from the loop (not at once), once, with the
 * event's argument; a finalized event cannot be added again; an active
 * event that is finalized runs its finalizer instead of its callback; a
 * finalizer still queued runs in event_base_free, and not in
 * event_base_free_nofinalize. */
#include "diff_case.h"

#include <event2/event.h>

static void callback(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("callback %s %#x\n", (const char *)arg, case_flags(what));
}

static void finalizer(struct event *ev, void *arg)
{
	(void)ev;
	printf("finalizer %s\n", (const char *)arg);
}

int main(void)
{
	case_start();
	struct event_base *base = event_base_new();
	struct event *a = evtimer_new(base, callback, "a");
	struct event *b = evtimer_new(base, callback, "b");
	struct event *c = evtimer_new(base, callback, "c");
	struct timeval soon = case_ms(10);
	event_add(a, &soon);
	event_active(b, EV_TIMEOUT, 1);
	event_active(c, EV_TIMEOUT, 1);

	printf("finalize a: %d\n", event_finalize(0, a, finalizer));
	printf("free_finalize b: %d\n", event_free_finalize(0, b, finalizer));
	printf("after the calls: a pending %d\n", event_pending(a, EV_TIMEOUT, NULL));
	printf("add a again: %d\n", event_add(a, &soon));
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("add a after its finalizer: %d\n", event_add(a, &soon));
	event_free(a);
	event_free(c);

	struct event *d = evtimer_new(base, callback, "d");
	event_free_finalize(0, d, finalizer);
	printf("freeing the base\n");
	event_base_free(base);

	base = event_base_new();
	struct event *e = evtimer_new(base, callback, "e");
	event_finalize(0, e, finalizer);
	printf("freeing the base without finalizers\n");
	event_base_free_nofinalize(base);
	free(e);
	printf("done\n");
	return 0;
}
