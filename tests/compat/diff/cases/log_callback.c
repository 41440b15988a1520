/* event_set_log_callback: libevent's warnings go to the installed callback
 * instead of stderr: event_add on an event made with the legacy event_set
 * before any event_init (no base), event_base_free(NULL) with no current
 * base, and a signal added to a second base while another has signals.
 * Printed: the return values, and how many messages of which severity came
 * (never their text). event_set_log_callback(NULL) restores the default. */
#include "diff_case.h"

#include <signal.h>

#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>

static int counts[4];
static int other;

static void on_log(int severity, const char *msg)
{
	(void)msg;
	if (severity >= 0 && severity < 4)
		++counts[severity];
	else
		++other;
}

static void report(const char *what)
{
	printf("%s: debug=%d msg=%d warn=%d err=%d other=%d\n", what, counts[EVENT_LOG_DEBUG],
	       counts[EVENT_LOG_MSG], counts[EVENT_LOG_WARN], counts[EVENT_LOG_ERR], other);
	for (int i = 0; i < 4; ++i)
		counts[i] = 0;
	other = 0;
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int main(void)
{
	case_start();
	printf("severity constants: debug=%d msg=%d warn=%d err=%d\n", EVENT_LOG_DEBUG, EVENT_LOG_MSG,
	       EVENT_LOG_WARN, EVENT_LOG_ERR);
	event_set_log_callback(on_log);

	struct event legacy;
	event_set(&legacy, -1, 0, on_event, NULL);
	printf("event_add with no base: %d\n", event_add(&legacy, NULL));
	report("after event_add with no base");

	event_base_free(NULL);
	report("after event_base_free(NULL) with no current base");

	struct event_base *a = event_base_new();
	struct event_base *b = event_base_new();
	report("after creating two bases");
	struct event *sa = evsignal_new(a, SIGUSR1, on_event, NULL);
	struct event *sb = evsignal_new(b, SIGUSR2, on_event, NULL);
	printf("signal on A: %d\n", evsignal_add(sa, NULL));
	report("after a signal on A");
	printf("signal on B: %d\n", evsignal_add(sb, NULL));
	report("after a signal on B");
	event_del(sa);
	event_del(sb);
	report("after deleting both");

	/* Back to the default logger (stderr): the callback sees nothing. */
	event_set_log_callback(NULL);
	printf("event_add with no base: %d\n", event_add(&legacy, NULL));
	report("after event_add with no base, default logger");

	event_free(sa);
	event_free(sb);
	event_base_free(a);
	event_base_free(b);
	printf("done\n");
	return 0;
}
