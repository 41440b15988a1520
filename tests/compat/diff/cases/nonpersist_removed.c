/* Inside its callback a non-persistent event is no longer pending (neither
 * its fd nor its timeout part), while a persistent one still is (fd part, and
 * a timeout re-armed before the callback runs). Printed: event_pending of the
 * event itself, in hex, inside and after the callback. */
#include "diff_case.h"

#include <event2/event.h>

#define ALL (EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL | EV_CLOSED)

struct probe {
	const char *name;
	struct event *ev;
};

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	if (what & EV_READ) {
		char c;
		if (read(fd, &c, 1) != 1)
			case_fail("read");
	}
	printf("%s: what=0x%x pending inside=0x%x\n", p->name, case_flags(what),
	       (unsigned)event_pending(p->ev, ALL, NULL));
}

static void run(struct event_base *base, const char *name, int fd, short events,
                long timeout_ms, int write_fd)
{
	struct probe p = {name, NULL};
	p.ev = event_new(base, fd, events, on_event, &p);
	struct timeval tv = case_ms(timeout_ms);
	int rc = event_add(p.ev, timeout_ms >= 0 ? &tv : NULL);
	printf("%s: add=%d pending before=0x%x\n", name, rc, (unsigned)event_pending(p.ev, ALL, NULL));
	if (write_fd >= 0)
		case_write(write_fd, "x", 1);
	printf("%s: loop(ONCE)=%d\n", name, event_base_loop(base, EVLOOP_ONCE));
	printf("%s: pending after=0x%x\n", name, (unsigned)event_pending(p.ev, ALL, NULL));
	rc = event_del(p.ev);
	printf("%s: del=%d pending=0x%x\n", name, rc, (unsigned)event_pending(p.ev, ALL, NULL));
	event_free(p.ev);
}

int main(void)
{
	case_start();
	int a[2];
	case_pipe(a);
	struct event_base *base = event_base_new();

	run(base, "read", a[0], EV_READ, -1, a[1]);
	run(base, "read+persist", a[0], EV_READ | EV_PERSIST, -1, a[1]);
	run(base, "read+timeout fired by read", a[0], EV_READ, 5000, a[1]);
	run(base, "read+persist+timeout fired by read", a[0], EV_READ | EV_PERSIST, 5000, a[1]);
	run(base, "read+timeout fired by timeout", a[0], EV_READ, 10, -1);
	run(base, "read+persist+timeout fired by timeout", a[0], EV_READ | EV_PERSIST, 10, -1);
	run(base, "timer", -1, 0, 10, -1);
	run(base, "timer+persist", -1, EV_PERSIST, 10, -1);

	event_base_free(base);
	printf("done\n");
	return 0;
}
