/* bufferevent_setwatermark / getwatermark.
 * Read watermarks on a socket bufferevent: the read callback runs only once
 * the input holds at least the low watermark; a read never takes the input
 * past the high watermark, and reading stops there until the input is
 * drained below it; a read callback that leaves the input at the high
 * watermark is called again (libevent 2.1.9 and later), so the callback
 * here leaves it once and drains the second time; a high watermark set
 * below the current input suspends reading at once.
 * The peer (a raw socket) writes known sizes before each step, and each
 * step runs ten non-blocking loop iterations, enough for all of it: the
 * output depends neither on timing nor on how many iterations a step takes.
 * The write low watermark on a pair (no kernel involved): the writer's
 * write callback runs only when its output is at or below the low
 * watermark, while the reader's high watermark meters the transfer (10
 * bytes at a time: the reader's read callback stops reading and drains,
 * the test enables reading again). */
#include "diffb_case.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

/* What the read callback does with its input. */
enum policy { KEEP, DRAIN_ALL, DISABLE_AND_DRAIN_ALL, AT_HIGH_KEEP_ONCE_THEN_DRAIN_15 };
static enum policy policy = KEEP;
static int kept_at_high;

static void on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	size_t low = 0, high = 0;
	bufferevent_getwatermark(bev, EV_READ, &low, &high);
	printf("    %s read cb: input len=%lu", (const char *)arg, (unsigned long)len);
	if (policy == DRAIN_ALL) {
		printf(", drains it {\n");
		evbuffer_drain(in, len);
		printf("    }\n");
	} else if (policy == DISABLE_AND_DRAIN_ALL) {
		printf(", disables EV_READ and drains it {\n");
		bufferevent_disable(bev, EV_READ);
		evbuffer_drain(in, len);
		printf("    }\n");
	} else if (policy == AT_HIGH_KEEP_ONCE_THEN_DRAIN_15 && high != 0 && len >= high) {
		if (!kept_at_high) {
			kept_at_high = 1;
			printf(", at the high watermark, keeps it\n");
		} else {
			printf(", at the high watermark, drains 15\n");
			evbuffer_drain(in, 15);
		}
	} else {
		printf("\n");
	}
}

static void on_write(struct bufferevent *bev, void *arg)
{
	printf("    %s write cb: output len=%lu\n", (const char *)arg,
	       (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	printf("    %s event cb: 0x%x\n", (const char *)arg, case_flags(what));
}

static void print_watermarks(struct bufferevent *bev, short events)
{
	size_t low = 12345, high = 12345;
	int r = bufferevent_getwatermark(bev, events, &low, &high);
	printf("getwatermark(0x%x): %d", case_flags(events), r);
	if (r == 0)
		printf(" low=%lu high=%lu", (unsigned long)low, (unsigned long)high);
	printf("\n");
}

static void peer_writes(int fd, size_t n)
{
	char data[64];
	memset(data, 'p', sizeof data);
	printf("peer writes %lu\n", (unsigned long)n);
	case_write(fd, data, n);
}

static void step(struct event_base *base, struct bufferevent *bev)
{
	printf("  loop {\n");
	for (int i = 0; i < 10; ++i)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	printf("  } input len=%lu\n", (unsigned long)evbuffer_get_length(bufferevent_get_input(bev)));
}

/* Runs a base that holds only a pair until nothing is active. */
static void settle(struct event_base *base)
{
	printf("  loop {\n");
	for (int i = 0; i < 100 && event_base_loop(base, EVLOOP_NONBLOCK) == 0; ++i)
		;
	printf("  }\n");
}

static void pair_lengths(struct bufferevent *pair[2])
{
	printf("  A output=%lu, B input=%lu\n", (unsigned long)evbuffer_get_length(bufferevent_get_output(pair[0])),
	       (unsigned long)evbuffer_get_length(bufferevent_get_input(pair[1])));
}

int main(void)
{
	case_start();
	struct event_base *base = event_base_new();
	int sv[2];
	case_socketpair(sv);

	printf("-- read watermarks on a socket\n");
	struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, on_read, on_write, on_event, "S");
	print_watermarks(bev, EV_READ);
	print_watermarks(bev, EV_WRITE);
	bufferevent_setwatermark(bev, EV_READ, 10, 20);
	print_watermarks(bev, EV_READ);
	print_watermarks(bev, EV_WRITE);
	print_watermarks(bev, EV_READ | EV_WRITE);
	bufferevent_enable(bev, EV_READ);
	policy = AT_HIGH_KEEP_ONCE_THEN_DRAIN_15;
	step(base, bev);
	peer_writes(sv[1], 5);
	step(base, bev);
	peer_writes(sv[1], 7);
	step(base, bev);
	peer_writes(sv[1], 1);
	step(base, bev);
	peer_writes(sv[1], 20);
	step(base, bev);
	peer_writes(sv[1], 4);
	step(base, bev);
	printf("drain the input\n");
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
	step(base, bev);
	printf("setwatermark EV_READ 0 0 (none)\n");
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	print_watermarks(bev, EV_READ);
	peer_writes(sv[1], 30);
	step(base, bev);
	size_t in_len = evbuffer_get_length(bufferevent_get_input(bev));
	printf("setwatermark EV_READ 0 10 with %lu in the input\n", (unsigned long)in_len);
	bufferevent_setwatermark(bev, EV_READ, 0, 10);
	peer_writes(sv[1], 3);
	step(base, bev);
	printf("drain everything\n");
	evbuffer_drain(bufferevent_get_input(bev), in_len);
	step(base, bev);
	printf("setwatermark EV_READ 50 40 (low above high)\n");
	bufferevent_setwatermark(bev, EV_READ, 50, 40);
	print_watermarks(bev, EV_READ);
	printf("setwatermark EV_READ 4 0, the callback drains\n");
	bufferevent_setwatermark(bev, EV_READ, 4, 0);
	policy = DRAIN_ALL;
	peer_writes(sv[1], 3);
	step(base, bev);
	peer_writes(sv[1], 3);
	step(base, bev);
	peer_writes(sv[1], 2);
	step(base, bev);
	bufferevent_free(bev);
	close(sv[1]);
	event_base_free(base);

	printf("-- the write low watermark on a pair\n");
	struct event_base *pbase = event_base_new();
	struct bufferevent *pair[2];
	bufferevent_pair_new(pbase, 0, pair);
	bufferevent_setcb(pair[0], on_read, on_write, on_event, "A");
	bufferevent_setcb(pair[1], on_read, on_write, on_event, "B");
	bufferevent_setwatermark(pair[0], EV_WRITE, 5, 0);
	print_watermarks(pair[0], EV_WRITE);
	bufferevent_setwatermark(pair[1], EV_READ, 0, 10);
	policy = DISABLE_AND_DRAIN_ALL;
	printf("A writes 24 while B does not read\n");
	bufferevent_write(pair[0], "0123456789abcdefghijABCD", 24);
	pair_lengths(pair);
	settle(pbase);
	for (int i = 0; i < 4; ++i) {
		printf("B enables EV_READ\n");
		bufferevent_enable(pair[1], EV_READ);
		pair_lengths(pair);
		settle(pbase);
	}
	printf("A writes 3\n");
	bufferevent_write(pair[0], "xyz", 3);
	pair_lengths(pair);
	settle(pbase);
	printf("B enables EV_READ\n");
	bufferevent_enable(pair[1], EV_READ);
	pair_lengths(pair);
	settle(pbase);
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	settle(pbase);
	event_base_free(pbase);
	printf("done\n");
	return 0;
}
