/* EV_READ|EV_PERSIST|EV_ET: with an edge-triggered backend (epoll) the
 * callback runs once per arrival of data even if it leaves data unread; a
 * backend without EV_FEATURE_ET (poll) treats it as level-triggered and the
 * callback runs until the fd is drained. The counts differ per backend;
 * each backend is compared with libevent's same backend. */
#include "diff_case.h"

#include <event2/event.h>

static int calls;

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)arg;
	char c;
	++calls;
	if (read(fd, &c, 1) != 1)
		case_fail("read");
	if (calls == 1)
		printf("  first callback: what=0x%x\n", case_flags(what));
}

static void phase(struct event_base *base, const char *title)
{
	calls = 0;
	for (int i = 0; i < 15; ++i)
		event_base_loop(base, EVLOOP_NONBLOCK);
	printf("%s: callbacks=%d\n", title, calls);
}

int main(void)
{
	case_start();
	int p[2];
	case_pipe(p);
	struct event_base *base = event_base_new();
	printf("EV_FEATURE_ET: %s\n", (event_base_get_features(base) & EV_FEATURE_ET) ? "yes" : "no");

	struct event *ev = event_new(base, p[0], EV_READ | EV_PERSIST | EV_ET, on_read, NULL);
	printf("add: %d\n", event_add(ev, NULL));
	printf("events: 0x%x\n", case_flags(event_get_events(ev)));
	phase(base, "no data");
	case_write(p[1], "0123456789", 10);
	phase(base, "10 bytes written");
	case_write(p[1], "a", 1);
	phase(base, "1 more byte");
	case_write(p[1], "bc", 2);
	phase(base, "2 more bytes");
	event_del(ev);
	event_free(ev);

	/* Without EV_ET the same reader is level-triggered on every backend. */
	struct event *level = event_new(base, p[0], EV_READ | EV_PERSIST, on_read, NULL);
	event_add(level, NULL);
	phase(base, "level-triggered drain of what is left");
	event_free(level);

	event_base_free(base);
	printf("done\n");
	return 0;
}
