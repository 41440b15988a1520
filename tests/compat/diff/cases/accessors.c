/* Accessors and small API pieces: event_pending with its tv out-parameter
 * (set only for a pending timeout, to a wall-clock time in the future);
 * event_initialized (zeroed struct vs after event_assign); event_get_fd,
 * _base, _events, _callback, _callback_arg, _priority, event_get_assignment;
 * event_get_struct_event_size; event_self_cbarg; event_new/event_free;
 * event_assign; the evtimer_* and evsignal_* macros; event_base_once with an
 * fd, with a timeout and with unsupported flags; the legacy event_once. */
#include "diff_case.h"

#include <signal.h>
#include <string.h>

#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>

#define ALL (EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL | EV_CLOSED)

static struct event *self_seen;

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("  on_event %s: what=0x%x\n", (const char *)arg, case_flags(what));
}

static void on_self(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("  on_self: what=0x%x arg is the event: %d\n", case_flags(what), arg == (void *)self_seen);
}

static void on_once(evutil_socket_t fd, short what, void *arg)
{
	printf("  once %s: fd=%s what=0x%x\n", (const char *)arg, fd < 0 ? "-1" : "pipe", case_flags(what));
	if (fd >= 0) {
		char c;
		if (read(fd, &c, 1) != 1)
			case_fail("read");
	}
}

int main(void)
{
	case_start();
	int p[2];
	case_pipe(p);
	struct event_base *base = event_base_new();

	printf("method: %s\n", event_base_get_method(base));
	printf("event_get_struct_event_size == sizeof(struct event): %d\n",
	       event_get_struct_event_size() == sizeof(struct event));

	struct event ev;
	memset(&ev, 0, sizeof ev);
	printf("initialized zeroed: %d\n", event_initialized(&ev));
	static const char arg[] = "assigned";
	printf("event_assign: %d\n", event_assign(&ev, base, p[0], EV_READ | EV_PERSIST, on_event, (void *)arg));
	printf("initialized after assign: %d\n", event_initialized(&ev));
	printf("fd is the pipe: %d\n", event_get_fd(&ev) == p[0]);
	printf("base is the base: %d\n", event_get_base(&ev) == base);
	printf("events: 0x%x\n", case_flags(event_get_events(&ev)));
	printf("callback is on_event: %d\n", event_get_callback(&ev) == on_event);
	printf("callback_arg is arg: %d\n", event_get_callback_arg(&ev) == (void *)arg);
	printf("priority: %d\n", event_get_priority(&ev));
	{
		struct event_base *b = NULL;
		evutil_socket_t fd = -2;
		short events = 0;
		event_callback_fn cb = NULL;
		void *cbarg = NULL;
		event_get_assignment(&ev, &b, &fd, &events, &cb, &cbarg);
		printf("assignment: base=%d fd=%d events=0x%x cb=%d arg=%d\n", b == base, fd == p[0],
		       case_flags(events), cb == on_event, cbarg == (void *)arg);
	}

	struct timeval sentinel = {12345, 678};
	struct timeval tv = sentinel;
	printf("pending, not added: 0x%x\n", (unsigned)event_pending(&ev, ALL, &tv));
	printf("tv untouched: %d\n", tv.tv_sec == sentinel.tv_sec && tv.tv_usec == sentinel.tv_usec);
	printf("add without timeout: %d\n", event_add(&ev, NULL));
	printf("pending READ|TIMEOUT: 0x%x\n", (unsigned)event_pending(&ev, EV_READ | EV_TIMEOUT, &tv));
	printf("tv untouched: %d\n", tv.tv_sec == sentinel.tv_sec && tv.tv_usec == sentinel.tv_usec);
	printf("pending WRITE only: 0x%x\n", (unsigned)event_pending(&ev, EV_WRITE, NULL));
	struct timeval five = case_ms(5000);
	printf("add with 5 s timeout: %d\n", event_add(&ev, &five));
	printf("pending READ: 0x%x\n", (unsigned)event_pending(&ev, EV_READ, &tv));
	printf("tv untouched when TIMEOUT not asked: %d\n",
	       tv.tv_sec == sentinel.tv_sec && tv.tv_usec == sentinel.tv_usec);
	printf("pending ALL: 0x%x\n", (unsigned)event_pending(&ev, ALL, &tv));
	{
		struct timeval now, later, upper;
		gettimeofday(&now, NULL);
		printf("tv set: %d\n", !(tv.tv_sec == sentinel.tv_sec && tv.tv_usec == sentinel.tv_usec));
		printf("tv in the future: %d\n", evutil_timercmp(&tv, &now, >));
		later = case_ms(6000);
		evutil_timeradd(&now, &later, &upper);
		printf("tv within 6 s: %d\n", evutil_timercmp(&tv, &upper, <));
	}
	printf("del: %d\n", event_del(&ev));
	printf("pending after del: 0x%x\n", (unsigned)event_pending(&ev, ALL, NULL));
	printf("initialized after del: %d\n", event_initialized(&ev));

	/* event_self_cbarg. */
	struct event *self = event_new(base, -1, 0, on_self, event_self_cbarg());
	self_seen = self;
	printf("callback_arg of self event is itself: %d\n", event_get_callback_arg(self) == (void *)self);
	event_active(self, EV_TIMEOUT, 0);
	printf("loop: %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
	event_free(self);

	/* evtimer_* macros. */
	struct event *t = evtimer_new(base, on_event, "timer");
	printf("evtimer_initialized: %d\n", evtimer_initialized(t));
	printf("timer fd is -1: %d events=0x%x\n", event_get_fd(t) == -1, case_flags(event_get_events(t)));
	tv = case_ms(10);
	printf("evtimer_add: %d\n", evtimer_add(t, &tv));
	printf("evtimer_pending: 0x%x\n", (unsigned)evtimer_pending(t, NULL));
	printf("evtimer_del: %d\n", evtimer_del(t));
	printf("evtimer_pending: 0x%x\n", (unsigned)evtimer_pending(t, NULL));
	printf("evtimer_add again: %d\n", evtimer_add(t, &tv));
	printf("dispatch: %d\n", event_base_dispatch(base));
	struct event ta;
	printf("evtimer_assign: %d\n", evtimer_assign(&ta, base, on_event, "assigned-timer"));
	printf("assigned timer events=0x%x\n", case_flags(event_get_events(&ta)));
	event_free(t);

	/* evsignal_* macros. */
	struct event *s = evsignal_new(base, SIGUSR1, on_event, "signal");
	printf("signal events=0x%x signal is USR1: %d\n", case_flags(event_get_events(s)),
	       event_get_signal(s) == SIGUSR1);
	printf("evsignal_add: %d\n", evsignal_add(s, NULL));
	printf("evsignal_pending: 0x%x\n", (unsigned)evsignal_pending(s, NULL));
	raise(SIGUSR1);
	printf("loop(ONCE): %d\n", event_base_loop(base, EVLOOP_ONCE));
	printf("evsignal_pending after (persistent): 0x%x\n", (unsigned)evsignal_pending(s, NULL));
	printf("evsignal_del: %d\n", evsignal_del(s));
	printf("evsignal_pending: 0x%x\n", (unsigned)evsignal_pending(s, NULL));
	struct event sa;
	printf("evsignal_assign: %d\n", evsignal_assign(&sa, base, SIGUSR2, on_event, "assigned-signal"));
	printf("assigned signal events=0x%x initialized=%d\n", case_flags(event_get_events(&sa)),
	       evsignal_initialized(&sa));
	event_free(s);

	/* event_base_once. */
	printf("base_once fd READ: %d\n", event_base_once(base, p[0], EV_READ, on_once, "fd", NULL));
	tv = case_ms(20);
	printf("base_once timeout 20 ms: %d\n", event_base_once(base, -1, EV_TIMEOUT, on_once, "timeout", &tv));
	printf("base_once PERSIST: %d\n", event_base_once(base, p[0], EV_READ | EV_PERSIST, on_once, "bad", NULL));
	printf("base_once SIGNAL: %d\n", event_base_once(base, SIGUSR2, EV_SIGNAL, on_once, "bad", NULL));
	case_write(p[1], "x", 1);
	printf("dispatch: %d\n", event_base_dispatch(base));
	tv = case_ms(5000);
	printf("base_once fd READ with 5 s timeout, data ready: %d\n",
	       event_base_once(base, p[0], EV_READ, on_once, "fd+timeout", &tv));
	case_write(p[1], "y", 1);
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("base_once TIMEOUT with NULL tv: %d\n", event_base_once(base, -1, EV_TIMEOUT, on_once, "now", NULL));
	printf("dispatch: %d\n", event_base_dispatch(base));
	event_base_free(base);

	/* The legacy event_once acts on the base from event_init. */
	struct event_base *cur = event_init();
	tv = case_ms(10);
	printf("event_once timeout: %d\n", event_once(-1, EV_TIMEOUT, on_once, "legacy", &tv));
	printf("event_dispatch: %d\n", event_dispatch());
	event_base_free(cur);

	close(p[0]);
	close(p[1]);
	printf("done\n");
	return 0;
}
