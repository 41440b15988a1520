/* event_base_loopcontinue: the loop stops running the current queue after
 * the running callback and starts a new iteration (poll, then the highest
 * priority again); events still active in the queue run later. Seen here
 * with a high-priority pipe reader whose fd becomes readable in a callback:
 * without loopcontinue the rest of the current queue runs first. Called
 * outside a loop it returns 0 and has no effect. */
#include "diff_case.h"

#include <string.h>

#include <event2/event.h>

static struct event_base *base;
static int fds[2];
static int use_continue;

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	const char *name = arg;
	if (fd >= 0 && (what & EV_READ)) {
		char c;
		if (read(fd, &c, 1) != 1)
			case_fail("read");
	}
	printf("  %s: what=0x%x\n", name, case_flags(what));
	if (strcmp(name, "A1") == 0) {
		case_write(fds[1], "x", 1);
		printf("  A1 made the H0 pipe readable\n");
		if (use_continue)
			printf("  loopcontinue: %d\n", event_base_loopcontinue(base));
	}
}

static void round_(struct event *h, struct event *a, struct event *b, struct event *c, struct event *d)
{
	event_add(h, NULL);
	event_active(a, EV_TIMEOUT, 0);
	event_active(b, EV_TIMEOUT, 0);
	event_active(c, EV_TIMEOUT, 0);
	event_active(d, EV_TIMEOUT, 0);
	printf("loop: %d\n", event_base_loop(base, 0));
}

int main(void)
{
	case_start();
	case_pipe(fds);
	base = event_base_new();
	printf("priority_init(3): %d\n", event_base_priority_init(base, 3));

	struct event *h = event_new(base, fds[0], EV_READ, on_event, "H0");
	struct event *a = event_new(base, -1, 0, on_event, "A1");
	struct event *b = event_new(base, -1, 0, on_event, "B1");
	struct event *c = event_new(base, -1, 0, on_event, "C1");
	struct event *d = event_new(base, -1, 0, on_event, "D2");
	event_priority_set(h, 0);
	event_priority_set(a, 1);
	event_priority_set(b, 1);
	event_priority_set(c, 1);
	event_priority_set(d, 2);

	printf("without loopcontinue:\n");
	round_(h, a, b, c, d);

	printf("A1 calls loopcontinue:\n");
	use_continue = 1;
	round_(h, a, b, c, d);

	printf("loopcontinue outside a loop: %d\n", event_base_loopcontinue(base));
	use_continue = 0;
	round_(h, a, b, c, d);

	event_free(h);
	event_free(a);
	event_free(b);
	event_free(c);
	event_free(d);
	event_base_free(base);
	printf("done\n");
	return 0;
}
