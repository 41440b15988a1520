/* Re-entering the loop: event_base_loop (and event_base_dispatch) called
 * from a callback on the base that is running returns -1 without running
 * anything; running another base's loop from a callback works. */
#include "diff_case.h"

#include <event2/event.h>

static struct event_base *outer;
static struct event_base *inner;

static void on_inner(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	printf("  inner base callback: what=0x%x\n", case_flags(what));
}

static void on_pending(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	printf("  other outer callback: what=0x%x\n", case_flags(what));
}

static void on_outer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	printf("  outer callback: what=0x%x\n", case_flags(what));
	printf("  nested event_base_loop(0) on the same base: %d\n", event_base_loop(outer, 0));
	printf("  nested event_base_loop(NONBLOCK) on the same base: %d\n",
	       event_base_loop(outer, EVLOOP_NONBLOCK));
	printf("  nested event_base_dispatch on the same base: %d\n", event_base_dispatch(outer));
	struct event *ie = event_new(inner, -1, 0, on_inner, NULL);
	event_active(ie, EV_TIMEOUT, 0);
	printf("  loop on another base: %d\n", event_base_loop(inner, 0));
	event_free(ie);
}

int main(void)
{
	case_start();
	outer = event_base_new();
	inner = event_base_new();

	struct event *e = event_new(outer, -1, 0, on_outer, NULL);
	struct event *other = event_new(outer, -1, 0, on_pending, NULL);
	event_active(e, EV_TIMEOUT, 0);
	event_active(other, EV_TIMEOUT, 0);
	printf("outer loop: %d\n", event_base_loop(outer, 0));
	printf("outer loop again: %d\n", event_base_loop(outer, 0));

	event_free(e);
	event_free(other);
	event_base_free(inner);
	event_base_free(outer);
	printf("done\n");
	return 0;
}
