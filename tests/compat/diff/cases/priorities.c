/* Priorities: event_base_priority_init(base, 3) (fails for 0, for
 * EVENT_MAX_PRIORITIES and while an event is active; allowed with events
 * merely added); default priority of new events is n/2; events active
 * together run highest priority (0) first; each loop iteration runs only the
 * highest non-empty priority, so a lower priority runs only once every
 * higher queue is empty, across iterations; an event of a higher priority
 * activated from a callback runs before the rest of the current queue;
 * event_priority_set fails on an active event and out of range. */
#include "diff_case.h"

#include <string.h>

#include <event2/event.h>

static struct event *hi;

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	const char *name = arg;
	if (fd >= 0 && (what & EV_READ)) {
		char c;
		if (read(fd, &c, 1) != 1)
			case_fail("read");
	}
	printf("  %s: what=0x%x\n", name, case_flags(what));
	if (strcmp(name, "M1") == 0) {
		event_active(hi, EV_TIMEOUT, 0);
		printf("  M1 activated H\n");
	}
}

int main(void)
{
	case_start();
	int p[2], q[2];
	case_pipe(p);
	case_pipe(q);
	struct event_base *base = event_base_new();

	struct event *pre = event_new(base, p[0], EV_READ, on_event, "pre");
	printf("priority of event made before init: %d\n", event_get_priority(pre));
	printf("add pre: %d\n", event_add(pre, NULL));
	printf("priority_init(0): %d\n", event_base_priority_init(base, 0));
	printf("priority_init(EVENT_MAX_PRIORITIES): %d\n", event_base_priority_init(base, EVENT_MAX_PRIORITIES));
	printf("priority_init(3) with pre added: %d\n", event_base_priority_init(base, 3));
	printf("npriorities: %d\n", event_base_get_npriorities(base));
	printf("priority of pre after init: %d\n", event_get_priority(pre));
	event_del(pre);

	struct event *l = event_new(base, -1, 0, on_event, "L2");
	struct event *m = event_new(base, -1, 0, on_event, "M1");
	struct event *m2 = event_new(base, -1, 0, on_event, "M1b");
	hi = event_new(base, -1, 0, on_event, "H0");
	printf("default priority of a new event: %d\n", event_get_priority(l));
	printf("set L2 to 2: %d\n", event_priority_set(l, 2));
	printf("set H0 to 0: %d\n", event_priority_set(hi, 0));
	printf("set M1 to 3: %d\n", event_priority_set(m, 3));
	printf("set M1 to -1: %d\n", event_priority_set(m, -1));
	printf("priorities L2=%d M1=%d M1b=%d H0=%d\n", event_get_priority(l), event_get_priority(m),
	       event_get_priority(m2), event_get_priority(hi));

	printf("activated L2, M1b, H0 (in that order):\n");
	event_active(l, EV_TIMEOUT, 0);
	event_active(m2, EV_TIMEOUT, 0);
	event_active(hi, EV_TIMEOUT, 0);
	printf("set active L2 to 0: %d\n", event_priority_set(l, 0));
	printf("priority_init(2) while events are active: %d\n", event_base_priority_init(base, 2));
	printf("loop: %d\n", event_base_loop(base, 0));
	printf("set inactive L2 to 0: %d\n", event_priority_set(l, 0));
	printf("set inactive L2 back to 2: %d\n", event_priority_set(l, 2));

	printf("M1 activates H0, M1b is next in M1's queue:\n");
	event_active(m, EV_TIMEOUT, 0);
	event_active(m2, EV_TIMEOUT, 0);
	printf("loop: %d\n", event_base_loop(base, 0));

	printf("persistent H reads 3 bytes one per iteration, L has 1 byte:\n");
	struct event *hr = event_new(base, p[0], EV_READ | EV_PERSIST, on_event, "H0-read");
	struct event *lr = event_new(base, q[0], EV_READ, on_event, "L2-read");
	event_priority_set(hr, 0);
	event_priority_set(lr, 2);
	event_add(hr, NULL);
	event_add(lr, NULL);
	case_write(p[1], "abc", 3);
	case_write(q[1], "z", 1);
	for (int i = 0; i < 3; ++i)
		printf("loop(ONCE|NONBLOCK) %d: %d\n", i, event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK));
	event_del(hr);

	event_free(pre);
	event_free(l);
	event_free(m);
	event_free(m2);
	event_free(hi);
	event_free(hr);
	event_free(lr);
	event_base_free(base);
	printf("done\n");
	return 0;
}
