/* Re-adding from inside a callback: a non-persistent event re-added in its
 * own callback is pending again and fires again; a persistent event given a
 * new timeout with event_add in its callback uses the new timeout instead of
 * its automatic re-arm; a persistent read event without a timeout can get one
 * from its own callback. */
#include "diff_case.h"

#include <event2/event.h>

static struct event *ev;
static int count;

static void on_once(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	++count;
	printf("nonpersist fire %d: what=0x%x pending=0x%x\n", count, case_flags(what),
	       (unsigned)event_pending(ev, EV_READ | EV_TIMEOUT, NULL));
	if (count < 3) {
		printf("  re-add: %d\n", event_add(ev, NULL));
		printf("  pending after re-add: 0x%x\n", (unsigned)event_pending(ev, EV_READ | EV_TIMEOUT, NULL));
	}
}

static void on_persist_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	++count;
	printf("persist timer fire %d: what=0x%x\n", count, case_flags(what));
	if (count == 1) {
		struct timeval tv = case_ms(300);
		printf("  event_add with 300 ms: %d\n", event_add(ev, &tv));
	} else {
		printf("  del: %d\n", event_del(ev));
	}
}

static void on_marker(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	printf("marker at 150 ms\n");
}

static void on_persist_read(evutil_socket_t fd, short what, void *arg)
{
	(void)arg;
	printf("persist read: what=0x%x\n", case_flags(what));
	if (what & EV_READ) {
		char c;
		printf("  read=%d\n", (int)read(fd, &c, 1));
		struct timeval tv = case_ms(30);
		printf("  event_add with 30 ms: %d\n", event_add(ev, &tv));
		printf("  pending: 0x%x\n", (unsigned)event_pending(ev, EV_READ | EV_TIMEOUT, NULL));
	} else {
		printf("  del: %d\n", event_del(ev));
	}
}

int main(void)
{
	case_start();
	int p[2];
	case_pipe(p);
	struct event_base *base = event_base_new();

	/* The byte is never read: every re-add fires again. */
	ev = event_new(base, p[0], EV_READ, on_once, NULL);
	event_add(ev, NULL);
	case_write(p[1], "x", 1);
	printf("dispatch: %d\n", event_base_dispatch(base));
	event_free(ev);
	char c;
	if (read(p[0], &c, 1) != 1)
		case_fail("drain");

	/* Persistent 30 ms timer; its first callback re-adds it with 300 ms, so
	 * the second fire comes at about 330 ms, after the 150 ms marker, not
	 * at 60 ms as the automatic re-arm would have it. */
	count = 0;
	ev = event_new(base, -1, EV_PERSIST, on_persist_timer, NULL);
	struct timeval tv = case_ms(30);
	event_add(ev, &tv);
	tv = case_ms(150);
	event_base_once(base, -1, EV_TIMEOUT, on_marker, NULL, &tv);
	printf("dispatch: %d\n", event_base_dispatch(base));
	event_free(ev);

	/* Persistent read event with no timeout gets one in its callback. */
	ev = event_new(base, p[0], EV_READ | EV_PERSIST, on_persist_read, NULL);
	printf("add: %d\n", event_add(ev, NULL));
	printf("pending: 0x%x\n", (unsigned)event_pending(ev, EV_READ | EV_TIMEOUT, NULL));
	case_write(p[1], "y", 1);
	printf("dispatch: %d\n", event_base_dispatch(base));
	event_free(ev);

	event_base_free(base);
	printf("done\n");
	return 0;
}
