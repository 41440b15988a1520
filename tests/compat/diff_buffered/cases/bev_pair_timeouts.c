/* bufferevent_set_timeouts on a bufferevent pair and on a filter over one.
 * A pair end's read timeout runs while reading is enabled; its write
 * timeout only while it has output the partner does not take (enabling
 * writing with an empty output arms nothing). Each fires once, as
 * READING|TIMEOUT or WRITING|TIMEOUT, with that side disabled by then.
 * Data arriving pushes the read timeout back; set_timeouts(NULL, NULL)
 * cancels a running one. A filter's write timeout runs from enabling
 * writing, output or not. Margins: 50 ms or more between any two timers. */
#include "diffb_case.h"

#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

static struct timespec last_read;

static long ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	printf("  %s read cb: ", (const char *)arg);
	case_dump("input", in);
	evbuffer_drain(in, evbuffer_get_length(in));
	clock_gettime(CLOCK_MONOTONIC, &last_read);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	printf("  %s event cb: 0x%x, enabled inside=0x%x, output len=%lu\n", (const char *)arg, case_flags(what),
	       case_flags(bufferevent_get_enabled(bev)),
	       (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
}

static void on_late_write(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	printf("  B writes \"late\"\n");
	bufferevent_write((struct bufferevent *)arg, "late", 4);
}

static void run_for(struct event_base *base, long ms)
{
	struct timeval tv = case_ms(ms);
	event_base_loopexit(base, &tv);
	printf("dispatch: %d\n", event_base_dispatch(base));
}

static void new_pair(struct event_base *base, struct bufferevent *p[2])
{
	if (bufferevent_pair_new(base, 0, p) != 0)
		case_fail("bufferevent_pair_new");
	bufferevent_setcb(p[0], on_read, NULL, on_event, "A");
	bufferevent_setcb(p[1], on_read, NULL, on_event, "B");
}

int main(void)
{
	case_start();
	struct event_base *base = event_base_new();
	struct bufferevent *p[2];
	struct timeval r150 = case_ms(150), w100 = case_ms(100), r100 = case_ms(100), w200 = case_ms(200);

	printf("-- A reads and writes to a B that does not read; B has nothing to write\n");
	new_pair(base, p);
	bufferevent_disable(p[1], EV_READ);
	printf("A set_timeouts: %d\n", bufferevent_set_timeouts(p[0], &r150, &w100));
	printf("A write: %d\n", bufferevent_write(p[0], "ABCDEFG", 7));
	printf("A enable: %d\n", bufferevent_enable(p[0], EV_READ | EV_WRITE));
	printf("B set_timeouts: %d\n", bufferevent_set_timeouts(p[1], &r100, &w200));
	printf("B enable EV_WRITE: %d\n", bufferevent_enable(p[1], EV_WRITE));
	run_for(base, 350);
	printf("A enabled 0x%x, B enabled 0x%x\n", case_flags(bufferevent_get_enabled(p[0])),
	       case_flags(bufferevent_get_enabled(p[1])));
	printf("B enables EV_READ: its read timeout runs; A no longer writes, its output stays\n");
	bufferevent_enable(p[1], EV_READ);
	run_for(base, 250);

	printf("-- data arriving pushes A's read timeout back\n");
	struct timeval r200 = case_ms(200);
	bufferevent_set_timeouts(p[0], &r200, NULL);
	bufferevent_set_timeouts(p[1], NULL, NULL);
	bufferevent_enable(p[0], EV_READ);
	struct event *late = evtimer_new(base, on_late_write, p[1]);
	struct timeval at = case_ms(80);
	evtimer_add(late, &at);
	run_for(base, 500);
	printf("at least 150 ms between the read and the timeout: %d\n", ms_since(&last_read) >= 150);

	printf("-- set_timeouts(NULL, NULL) cancels the running read timeout\n");
	bufferevent_set_timeouts(p[0], &r100, NULL);
	bufferevent_enable(p[0], EV_READ);
	bufferevent_set_timeouts(p[0], NULL, NULL);
	run_for(base, 200);
	printf("A enabled 0x%x\n", case_flags(bufferevent_get_enabled(p[0])));
	bufferevent_free(p[0]);
	bufferevent_free(p[1]);

	printf("-- a filter over a pair end: enabling writing arms the write timeout\n");
	new_pair(base, p);
	struct bufferevent *f = bufferevent_filter_new(p[0], NULL, NULL, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	bufferevent_setcb(f, on_read, NULL, on_event, "F");
	bufferevent_set_timeouts(f, NULL, &w100);
	printf("F enable EV_WRITE: %d\n", bufferevent_enable(f, EV_WRITE));
	run_for(base, 250);
	printf("F enabled 0x%x\n", case_flags(bufferevent_get_enabled(f)));
	bufferevent_free(f);
	bufferevent_free(p[1]);

	event_free(late);
	event_base_free(base);
	printf("done\n");
	return 0;
}
