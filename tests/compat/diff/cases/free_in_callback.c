/* Freeing from inside callbacks: event_free of a non-persistent event in
 * its own callback; event_del then event_free of a persistent event in its
 * own callback; event_free of another event that is active in the same
 * iteration (its callback never runs). The loop then has no events left. */
#include "diff_case.h"

#include <event2/event.h>

static struct event *victim;
static int calls;

static void on_free_self(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	++calls;
	struct event *self = arg;
	printf("  nonpersist: what=0x%x pending=0x%x\n", case_flags(what),
	       (unsigned)event_pending(self, EV_READ | EV_TIMEOUT, NULL));
	event_free(self);
	printf("  nonpersist: freed itself\n");
}

static void on_del_free_self(evutil_socket_t fd, short what, void *arg)
{
	++calls;
	struct event *self = arg;
	char c;
	if (read(fd, &c, 1) != 1)
		case_fail("read");
	printf("  persist: what=0x%x pending=0x%x\n", case_flags(what),
	       (unsigned)event_pending(self, EV_READ | EV_TIMEOUT, NULL));
	printf("  persist: del=%d\n", event_del(self));
	event_free(self);
	printf("  persist: freed itself\n");
}

static void on_free_other(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	++calls;
	printf("  first: what=0x%x\n", case_flags(what));
	if (victim) {
		event_free(victim);
		victim = NULL;
		printf("  first: freed the other active event\n");
	}
}

int main(void)
{
	case_start();
	int p[2];
	case_pipe(p);
	struct event_base *base = event_base_new();

	printf("non-persistent read event with timeout frees itself:\n");
	struct event *ev = event_new(base, p[0], EV_READ, on_free_self, event_self_cbarg());
	struct timeval tv = case_ms(5000);
	event_add(ev, &tv);
	case_write(p[1], "a", 1);
	calls = 0;
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("calls: %d\n", calls);
	char c;
	if (read(p[0], &c, 1) != 1)
		case_fail("drain");

	printf("non-persistent timer frees itself:\n");
	ev = evtimer_new(base, on_free_self, event_self_cbarg());
	tv = case_ms(10);
	evtimer_add(ev, &tv);
	calls = 0;
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("calls: %d\n", calls);

	printf("persistent read event with timeout deletes and frees itself:\n");
	ev = event_new(base, p[0], EV_READ | EV_PERSIST, on_del_free_self, event_self_cbarg());
	tv = case_ms(5000);
	event_add(ev, &tv);
	case_write(p[1], "b", 1);
	calls = 0;
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("calls: %d\n", calls);

	printf("first of two active events frees the second:\n");
	struct event *first = event_new(base, -1, 0, on_free_other, NULL);
	victim = event_new(base, -1, 0, on_free_other, NULL);
	event_active(first, EV_TIMEOUT, 0);
	event_active(victim, EV_TIMEOUT, 0);
	calls = 0;
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("calls: %d\n", calls);
	event_free(first);

	event_base_free(base);
	printf("done\n");
	return 0;
}
