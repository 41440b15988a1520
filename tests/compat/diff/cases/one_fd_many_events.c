/* Several events on one fd: a read event and a write event added separately
 * each get only their own readiness; several readers on the same fd are all
 * activated by one readiness, in an order the library defines (printed); a
 * reader deleted from the fd leaves the others working; an EV_READ|EV_WRITE
 * event gets both flags in one callback. */
#include "diff_case.h"

#include <sys/socket.h>

#include <event2/event.h>

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("  %s: what=0x%x\n", (const char *)arg, case_flags(what));
}

static void drain(int fd)
{
	char buf[16];
	if (read(fd, buf, sizeof buf) <= 0)
		case_fail("drain");
}

int main(void)
{
	case_start();
	int s[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0)
		case_fail("socketpair");
	struct event_base *base = event_base_new();

	/* Separate persistent read and write events on s[0]. */
	struct event *r = event_new(base, s[0], EV_READ | EV_PERSIST, on_event, "R");
	struct event *w = event_new(base, s[0], EV_WRITE | EV_PERSIST, on_event, "W");
	event_add(r, NULL);
	event_add(w, NULL);
	printf("writable only:\n");
	printf("loop(ONCE)=%d\n", event_base_loop(base, EVLOOP_ONCE));
	case_write(s[1], "a", 1);
	printf("readable and writable:\n");
	printf("loop(ONCE)=%d\n", event_base_loop(base, EVLOOP_ONCE));
	printf("del W: %d\n", event_del(w));
	printf("readable, W deleted:\n");
	printf("loop(ONCE)=%d\n", event_base_loop(base, EVLOOP_ONCE));
	drain(s[0]);
	printf("nothing ready:\n");
	printf("loop(NONBLOCK)=%d\n", event_base_loop(base, EVLOOP_NONBLOCK));
	event_del(r);

	/* Three readers on the same fd, added A, B, C. */
	struct event *ra = event_new(base, s[0], EV_READ, on_event, "A");
	struct event *rb = event_new(base, s[0], EV_READ, on_event, "B");
	struct event *rc = event_new(base, s[0], EV_READ | EV_PERSIST, on_event, "C");
	event_add(ra, NULL);
	event_add(rb, NULL);
	event_add(rc, NULL);
	case_write(s[1], "b", 1);
	printf("three readers, order of callbacks:\n");
	printf("loop(ONCE)=%d\n", event_base_loop(base, EVLOOP_ONCE));
	printf("A pending=0x%x B pending=0x%x C pending=0x%x\n",
	       (unsigned)event_pending(ra, EV_READ, NULL), (unsigned)event_pending(rb, EV_READ, NULL),
	       (unsigned)event_pending(rc, EV_READ, NULL));
	/* Re-add B, then A: the order now follows the new insertion. */
	event_add(rb, NULL);
	event_add(ra, NULL);
	printf("re-added B then A, order of callbacks:\n");
	printf("loop(ONCE)=%d\n", event_base_loop(base, EVLOOP_ONCE));
	event_add(ra, NULL);
	event_add(rb, NULL);
	printf("del C: %d\n", event_del(rc));
	printf("re-added A then B, C deleted:\n");
	printf("loop(ONCE)=%d\n", event_base_loop(base, EVLOOP_ONCE));
	drain(s[0]);

	/* One event for both directions next to a plain reader. */
	struct event *rw = event_new(base, s[0], EV_READ | EV_WRITE, on_event, "RW");
	event_add(rw, NULL);
	printf("RW, writable only:\n");
	printf("loop(ONCE)=%d\n", event_base_loop(base, EVLOOP_ONCE));
	event_add(rw, NULL);
	event_add(ra, NULL);
	case_write(s[1], "c", 1);
	printf("RW and A, readable and writable:\n");
	printf("loop(ONCE)=%d\n", event_base_loop(base, EVLOOP_ONCE));
	drain(s[0]);

	event_free(r);
	event_free(w);
	event_free(ra);
	event_free(rb);
	event_free(rc);
	event_free(rw);
	event_base_free(base);
	printf("done\n");
	return 0;
}
