/* event_base_gettimeofday_cached: inside a callback it returns 0 and the
 * time cached when the loop iteration began (within 1 s of gettimeofday, and
 * unchanged by a 20 ms sleep in the callback); event_base_update_cache_time
 * refreshes it; outside a loop it returns 0 and the current time. */
#include "diff_case.h"

#include <event2/event.h>

static struct event_base *base;

static int within_1s(const struct timeval *a, const struct timeval *b)
{
	struct timeval d;
	if (evutil_timercmp(a, b, <))
		evutil_timersub(b, a, &d);
	else
		evutil_timersub(a, b, &d);
	return d.tv_sec < 1;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	struct timeval cached, again, updated, now;
	printf("callback: what=0x%x\n", case_flags(what));
	int rc = event_base_gettimeofday_cached(base, &cached);
	gettimeofday(&now, NULL);
	printf("  cached: %d within 1 s of gettimeofday: %d\n", rc, within_1s(&cached, &now));
	usleep(20000);
	rc = event_base_gettimeofday_cached(base, &again);
	printf("  after 20 ms sleep: %d unchanged: %d\n", rc,
	       again.tv_sec == cached.tv_sec && again.tv_usec == cached.tv_usec);
	printf("  update_cache_time: %d\n", event_base_update_cache_time(base));
	rc = event_base_gettimeofday_cached(base, &updated);
	gettimeofday(&now, NULL);
	printf("  after update: %d later than before: %d within 1 s: %d\n", rc,
	       evutil_timercmp(&updated, &cached, >), within_1s(&updated, &now));
}

int main(void)
{
	case_start();
	base = event_base_new();

	struct timeval tv, now;
	int rc = event_base_gettimeofday_cached(base, &tv);
	gettimeofday(&now, NULL);
	printf("outside loop: %d within 1 s: %d\n", rc, within_1s(&tv, &now));

	struct event *t = evtimer_new(base, on_timer, NULL);
	tv = case_ms(10);
	evtimer_add(t, &tv);
	printf("dispatch: %d\n", event_base_dispatch(base));

	event_free(t);
	event_base_free(base);
	printf("done\n");
	return 0;
}
