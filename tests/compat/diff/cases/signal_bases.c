/* Signals and several bases: only one base at a time receives signals
 * through libevent's signal backend. Printed: the return value of every
 * evsignal_add/event_del, and which base's callback runs after raise() at
 * each step (the base with the most recent signal add or loop gets them).
 * A counting handler installed first catches any raise() no base handles,
 * so that such a signal shows up as a count instead of killing the case. */
#include "diff_case.h"

#include <signal.h>
#include <string.h>

#include <event2/event.h>

static volatile sig_atomic_t stray;

static void on_stray(int sig)
{
	(void)sig;
	stray = stray + 1;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	printf("  callback %s: signal=%s what=0x%x\n", (const char *)arg,
	       sig == SIGUSR1 ? "USR1" : sig == SIGUSR2 ? "USR2" : "other", case_flags(what));
}

static void on_raise(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	printf("  raise %s from A's callback\n", *(int *)arg == SIGUSR1 ? "USR1" : "USR2");
	raise(*(int *)arg);
}

static void settle(struct event_base *a, struct event_base *b)
{
	printf("  loop B(NONBLOCK)=%d\n", event_base_loop(b, EVLOOP_NONBLOCK));
	printf("  loop A(NONBLOCK)=%d\n", event_base_loop(a, EVLOOP_NONBLOCK));
}

int main(void)
{
	case_start();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stray;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0 || sigaction(SIGUSR2, &sa, NULL) != 0)
		case_fail("sigaction");
	struct event_base *a = event_base_new();
	struct event_base *b = event_base_new();

	struct event *a1 = evsignal_new(a, SIGUSR1, on_signal, "A");
	struct event *b1 = evsignal_new(b, SIGUSR1, on_signal, "B");
	struct event *b2 = evsignal_new(b, SIGUSR2, on_signal, "B");
	struct event *a2 = evsignal_new(a, SIGUSR2, on_signal, "A");

	printf("add USR1 on A: %d\n", evsignal_add(a1, NULL));
	printf("add USR1 on B: %d\n", evsignal_add(b1, NULL));
	printf("add USR2 on B: %d\n", evsignal_add(b2, NULL));
	printf("pending A.USR1=0x%x B.USR1=0x%x B.USR2=0x%x\n", (unsigned)evsignal_pending(a1, NULL),
	       (unsigned)evsignal_pending(b1, NULL), (unsigned)evsignal_pending(b2, NULL));

	printf("raise USR2:\n");
	raise(SIGUSR2);
	settle(a, b);

	printf("del B.USR1: %d\n", event_del(b1));
	printf("del B.USR2: %d\n", event_del(b2));
	printf("add USR2 on A: %d\n", evsignal_add(a2, NULL));

	/* A's loop runs the raise from a callback, once A is looping. */
	int sig = SIGUSR1;
	event_base_once(a, -1, EV_TIMEOUT, on_raise, &sig, NULL);
	printf("loop A(NONBLOCK)=%d\n", event_base_loop(a, EVLOOP_NONBLOCK));
	sig = SIGUSR2;
	event_base_once(a, -1, EV_TIMEOUT, on_raise, &sig, NULL);
	printf("loop A(NONBLOCK)=%d\n", event_base_loop(a, EVLOOP_NONBLOCK));

	printf("raise USR1 outside any loop:\n");
	raise(SIGUSR1);
	settle(a, b);

	printf("del A.USR1: %d\n", event_del(a1));
	printf("del A.USR2: %d\n", event_del(a2));
	printf("add USR1 on B after A removed its signals: %d\n", evsignal_add(b1, NULL));
	printf("raise USR1:\n");
	raise(SIGUSR1);
	settle(a, b);
	printf("del B.USR1: %d\n", event_del(b1));

	event_free(a1);
	event_free(a2);
	event_free(b1);
	event_free(b2);
	event_base_free(a);
	event_base_free(b);
	printf("signals no base handled: %d\n", (int)stray);
	printf("done\n");
	return 0;
}
