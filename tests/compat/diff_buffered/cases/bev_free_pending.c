/* A bufferevent freed while its deferred callbacks are still queued: none
 * of them runs, and freeing the base afterwards leaves nothing allocated
 * (the leak check of the sanitizer build sees it). A pair, whose callbacks
 * are always deferred, and a socket bufferevent with
 * BEV_OPT_DEFER_CALLBACKS, each with a read, a write and an event callback
 * pending. (Freeing the base with no loop in between would leak in
 * libevent, which frees bufferevents from the loop; eddy frees them at
 * once, so it does not, but the comparison cannot show that.) */
#include "diffb_case.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	printf("  %s read cb\n", (const char *)arg);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	printf("  %s write cb\n", (const char *)arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	printf("  %s event cb: 0x%x\n", (const char *)arg, case_flags(what));
}

static void queue_all(struct bufferevent *bev, const char *name)
{
	bufferevent_setcb(bev, on_read, on_write, on_event, (void *)name);
	bufferevent_trigger(bev, EV_READ | EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	bufferevent_trigger_event(bev, BEV_EVENT_EOF, BEV_TRIG_DEFER_CALLBACKS);
}

int main(void)
{
	case_start();
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2];
	int sv[2];

	printf("-- a pair, freed with callbacks queued, then the loop runs\n");
	if (bufferevent_pair_new(base, 0, pair) != 0)
		case_fail("bufferevent_pair_new");
	queue_all(pair[0], "A");
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	printf("loop: %d\n", event_base_loop(base, EVLOOP_NONBLOCK));

	printf("-- a socket with BEV_OPT_DEFER_CALLBACKS, freed with callbacks queued\n");
	case_socketpair(sv);
	struct bufferevent *s = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	queue_all(s, "S");
	bufferevent_free(s);
	printf("loop: %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
	close(sv[1]);
	event_base_free(base);
	printf("done\n");
	return 0;
}
