/* event_base_loopbreak stops the loop right after the running callback (the
 * other active events stay active for the next loop); event_base_loopexit
 * lets the current iteration finish; event_base_got_break/got_exit report
 * how the last loop ended and are cleared when a loop starts; loopexit with
 * a timeout; loopexit and loopbreak called before the loop starts. */
#include "diff_case.h"

#include <event2/event.h>

#define ALL (EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL | EV_CLOSED)

static struct event_base *base;
static const char *action_of; /* name of the event that acts */
static int action;            /* 1 loopbreak, 2 loopexit(NULL) */

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("  %s: what=0x%x\n", (const char *)arg, case_flags(what));
	if (action_of && arg == action_of) {
		if (action == 1)
			printf("  loopbreak: %d\n", event_base_loopbreak(base));
		else
			printf("  loopexit(NULL): %d\n", event_base_loopexit(base, NULL));
	}
}

static void flags(const char *when)
{
	printf("%s: got_exit=%d got_break=%d\n", when, event_base_got_exit(base), event_base_got_break(base));
}

int main(void)
{
	case_start();
	base = event_base_new();
	static const char e1_name[] = "e1";
	struct event *e1 = event_new(base, -1, 0, on_event, (void *)e1_name);
	struct event *e2 = event_new(base, -1, 0, on_event, "e2");
	struct event *e3 = event_new(base, -1, 0, on_event, "e3");
	flags("fresh base");

	printf("loopbreak inside e1, e1 e2 e3 active:\n");
	action_of = e1_name;
	action = 1;
	event_active(e1, EV_TIMEOUT, 0);
	event_active(e2, EV_TIMEOUT, 0);
	event_active(e3, EV_TIMEOUT, 0);
	printf("loop: %d\n", event_base_loop(base, 0));
	flags("after break");
	printf("pending e2=0x%x e3=0x%x\n", (unsigned)event_pending(e2, ALL, NULL),
	       (unsigned)event_pending(e3, ALL, NULL));
	printf("loop again:\n");
	printf("loop: %d\n", event_base_loop(base, 0));
	flags("after second loop");

	printf("loopexit inside e1, e1 e2 e3 active, a 5 s timer pending:\n");
	action = 2;
	struct event *far = evtimer_new(base, on_event, "far");
	struct timeval tv = case_ms(5000);
	evtimer_add(far, &tv);
	event_active(e1, EV_TIMEOUT, 0);
	event_active(e2, EV_TIMEOUT, 0);
	event_active(e3, EV_TIMEOUT, 0);
	printf("loop: %d\n", event_base_loop(base, 0));
	flags("after exit");
	printf("far pending=0x%x\n", (unsigned)event_pending(far, ALL, NULL));
	event_del(far);
	action_of = NULL;

	printf("loopexit with a 100 ms timeout, timers at 10 and 250 ms:\n");
	struct event *t10 = evtimer_new(base, on_event, "t10");
	struct event *t250 = evtimer_new(base, on_event, "t250");
	tv = case_ms(10);
	evtimer_add(t10, &tv);
	tv = case_ms(100);
	printf("loopexit(100 ms): %d\n", event_base_loopexit(base, &tv));
	tv = case_ms(250);
	evtimer_add(t250, &tv);
	flags("before loop");
	printf("loop: %d\n", event_base_loop(base, 0));
	flags("after loop");
	printf("t250 pending=0x%x\n", (unsigned)event_pending(t250, ALL, NULL));
	printf("loop: %d\n", event_base_loop(base, 0));
	flags("after loop");

	printf("loopexit(NULL) before the loop, then e1 activated, timer at 300 ms:\n");
	tv = case_ms(300);
	evtimer_add(t10, &tv);
	printf("loopexit(NULL): %d\n", event_base_loopexit(base, NULL));
	event_active(e1, EV_TIMEOUT, 0);
	flags("before loop");
	printf("loop: %d\n", event_base_loop(base, 0));
	flags("after loop");
	printf("timer pending=0x%x\n", (unsigned)event_pending(t10, ALL, NULL));

	printf("loopbreak before the loop, timer re-added at 30 ms:\n");
	tv = case_ms(30);
	evtimer_add(t10, &tv);
	printf("loopbreak: %d\n", event_base_loopbreak(base));
	flags("before loop");
	printf("loop: %d\n", event_base_loop(base, 0));
	flags("after loop");

	event_free(e1);
	event_free(e2);
	event_free(e3);
	event_free(far);
	event_free(t10);
	event_free(t250);
	event_base_free(base);
	printf("done\n");
	return 0;
}
