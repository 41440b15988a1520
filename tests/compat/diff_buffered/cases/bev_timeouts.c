/* bufferevent_set_timeouts. A read timeout fires BEV_EVENT_READING|
 * BEV_EVENT_TIMEOUT after the last read, with reading disabled by then
 * (get_enabled inside the callback and after); enabling reading again arms
 * it again; data that arrives before it fires pushes it back. A write
 * timeout fires BEV_EVENT_WRITING|BEV_EVENT_TIMEOUT when the output cannot
 * be written (the socket's buffer was filled first and the peer never
 * reads), with writing disabled and the output kept.
 * Margins: data comes 30 ms into a 400 ms read timeout. */
#include "diffb_case.h"

#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

static int peer_fd;
static struct timespec last_read;
static long min_gap_ms = -1;

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
	clock_gettime(CLOCK_MONOTONIC, &last_read);
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void on_write(struct bufferevent *bev, void *arg)
{
	printf("  %s write cb: output len=%lu\n", (const char *)arg,
	       (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	printf("  %s event cb: 0x%x, enabled inside=0x%x, output len=%lu\n", (const char *)arg, case_flags(what),
	       case_flags(bufferevent_get_enabled(bev)),
	       (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
	if (min_gap_ms >= 0)
		printf("  at least %ld ms after the last read: %d\n", min_gap_ms, ms_since(&last_read) >= min_gap_ms);
}

static void on_peer_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	printf("  peer writes \"late\"\n");
	case_write(peer_fd, "late", 4);
}

int main(void)
{
	case_start();
	struct event_base *base = event_base_new();
	int sv[2];
	struct timeval rt = case_ms(100);
	struct timeval wt = case_ms(100);

	printf("-- read timeout\n");
	case_socketpair(sv);
	peer_fd = sv[1];
	struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, on_read, on_write, on_event, "R");
	printf("set_timeouts: %d\n", bufferevent_set_timeouts(bev, &rt, NULL));
	printf("enable EV_READ: %d\n", bufferevent_enable(bev, EV_READ));
	case_write(sv[1], "x", 1);
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("enabled after: 0x%x\n", case_flags(bufferevent_get_enabled(bev)));
	printf("enable EV_READ again: %d\n", bufferevent_enable(bev, EV_READ));
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("enabled after: 0x%x\n", case_flags(bufferevent_get_enabled(bev)));

	printf("-- data before the read timeout pushes it back\n");
	rt = case_ms(400);
	bufferevent_set_timeouts(bev, &rt, NULL);
	struct event *peer_timer = evtimer_new(base, on_peer_timer, NULL);
	struct timeval pt = case_ms(30);
	evtimer_add(peer_timer, &pt);
	bufferevent_enable(bev, EV_READ);
	/* The timeout counts from the loop's cached time of the read, a little
	 * before the callback takes its own: 350 of the 400 ms are certain. */
	min_gap_ms = 350;
	printf("dispatch: %d\n", event_base_dispatch(base));
	min_gap_ms = -1;
	printf("enabled after: 0x%x\n", case_flags(bufferevent_get_enabled(bev)));

	printf("-- timeouts cleared\n");
	printf("set_timeouts(NULL, NULL): %d\n", bufferevent_set_timeouts(bev, NULL, NULL));
	bufferevent_enable(bev, EV_READ);
	close(sv[1]);
	printf("dispatch: %d\n", event_base_dispatch(base));
	bufferevent_free(bev);

	printf("-- write timeout\n");
	case_socketpair(sv);
	case_nonblock(sv[0]);
	char fill[4096];
	memset(fill, 'f', sizeof fill);
	while (write(sv[0], fill, sizeof fill) > 0)
		;
	if (errno != EAGAIN)
		case_fail("filling the socket");
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, on_read, on_write, on_event, "W");
	printf("set_timeouts: %d\n", bufferevent_set_timeouts(bev, NULL, &wt));
	printf("write: %d\n", bufferevent_write(bev, fill, 100));
	printf("dispatch: %d\n", event_base_dispatch(base));
	printf("enabled after: 0x%x, output len=%lu\n", case_flags(bufferevent_get_enabled(bev)),
	       (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
	printf("enable EV_WRITE again: %d\n", bufferevent_enable(bev, EV_WRITE));
	printf("dispatch: %d\n", event_base_dispatch(base));
	bufferevent_free(bev);
	close(sv[1]);

	event_free(peer_timer);
	event_base_free(base);
	printf("done\n");
	return 0;
}
