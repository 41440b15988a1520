/* bufferevent_pair_new: what one end writes reaches the other end's input
 * only while that end reads (and the writer writes); a pair's callbacks are
 * always deferred (libevent adds BEV_OPT_DEFER_CALLBACKS), so they run from
 * the loop, which runs after every step until nothing is active;
 * bufferevent_get_input/get_output, bufferevent_read,
 * bufferevent_read_buffer, bufferevent_write_buffer;
 * enable/disable/get_enabled; bufferevent_pair_get_partner; flushing with
 * BEV_NORMAL and BEV_FINISHED (the partner gets BEV_EVENT_READING|
 * BEV_EVENT_EOF) and freeing one end (the other gets no event, and its
 * writes stay in its output). Each call is bracketed by lines, so any
 * callback that ran inside it would show between them. */
#include "diffb_case.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

static struct bufferevent *pair[2];
static const char *names[2] = {"A", "B"};

static void on_read(struct bufferevent *bev, void *arg)
{
	const char *name = (const char *)arg;
	printf("    %s read cb: input len=%lu\n", name, (unsigned long)evbuffer_get_length(bufferevent_get_input(bev)));
}

static void on_write(struct bufferevent *bev, void *arg)
{
	const char *name = (const char *)arg;
	printf("    %s write cb: output len=%lu\n", name,
	       (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	printf("    %s event cb: 0x%x\n", (const char *)arg, case_flags(what));
}

/* Runs the loop until nothing is active (the base has no fds: a
 * non-blocking iteration returns 1 once no deferred callback is left), so
 * the output does not depend on how many iterations the callbacks take. */
static void settle(struct event_base *base)
{
	printf("  loop {\n");
	for (int i = 0; i < 100 && event_base_loop(base, EVLOOP_NONBLOCK) == 0; ++i)
		;
	printf("  }\n");
}

static void lengths(void)
{
	for (int i = 0; i < 2; ++i) {
		if (pair[i] == NULL)
			continue;
		printf("  %s: input=%lu output=%lu enabled=0x%x\n", names[i],
		       (unsigned long)evbuffer_get_length(bufferevent_get_input(pair[i])),
		       (unsigned long)evbuffer_get_length(bufferevent_get_output(pair[i])),
		       case_flags(bufferevent_get_enabled(pair[i])));
	}
}

int main(void)
{
	case_start();
	struct event_base *base = event_base_new();
	char out[64];
	int r;

	printf("pair_new: %d\n", bufferevent_pair_new(base, 0, pair));
	printf("partner of A is B: %d, partner of B is A: %d\n", bufferevent_pair_get_partner(pair[0]) == pair[1],
	       bufferevent_pair_get_partner(pair[1]) == pair[0]);
	printf("get_base: %d\n", bufferevent_get_base(pair[0]) == base);
	printf("getfd: %d\n", (int)bufferevent_getfd(pair[0]));
	lengths();
	settle(base);
	for (int i = 0; i < 2; ++i)
		bufferevent_setcb(pair[i], on_read, on_write, on_event, (void *)names[i]);

	printf("A writes \"hello\" while B does not read {\n");
	r = bufferevent_write(pair[0], "hello", 5);
	printf("} %d\n", r);
	lengths();
	settle(base);
	printf("B enables EV_READ {\n");
	r = bufferevent_enable(pair[1], EV_READ);
	printf("} %d\n", r);
	lengths();
	settle(base);
	printf("A writes \" world\" {\n");
	r = bufferevent_write(pair[0], " world", 6);
	printf("} %d\n", r);
	lengths();
	settle(base);

	memset(out, 0, sizeof out);
	printf("B bufferevent_read 3: %lu ", (unsigned long)bufferevent_read(pair[1], out, 3));
	case_print_bytes(out, 3);
	printf("\n");
	struct evbuffer *tmp = evbuffer_new();
	printf("B bufferevent_read_buffer: %d\n", bufferevent_read_buffer(pair[1], tmp));
	case_dump("  moved", tmp);
	printf("B bufferevent_read from an empty input: %lu\n", (unsigned long)bufferevent_read(pair[1], out, 3));
	lengths();
	settle(base);

	printf("A enables EV_READ, B writes the moved bytes back with write_buffer {\n");
	bufferevent_enable(pair[0], EV_READ);
	r = bufferevent_write_buffer(pair[1], tmp);
	printf("} %d\n", r);
	case_dump("  tmp after write_buffer", tmp);
	lengths();
	settle(base);
	case_dump("  A input", bufferevent_get_input(pair[0]));
	evbuffer_drain(bufferevent_get_input(pair[0]), 100);

	printf("B disables EV_READ {\n");
	r = bufferevent_disable(pair[1], EV_READ);
	printf("} %d\n", r);
	printf("A writes \"queued\" {\n");
	r = bufferevent_write(pair[0], "queued", 6);
	printf("} %d\n", r);
	lengths();
	settle(base);
	printf("A disables EV_WRITE, B enables EV_READ {\n");
	bufferevent_disable(pair[0], EV_WRITE);
	r = bufferevent_enable(pair[1], EV_READ);
	printf("} %d\n", r);
	lengths();
	settle(base);
	printf("A enables EV_WRITE {\n");
	r = bufferevent_enable(pair[0], EV_WRITE);
	printf("} %d\n", r);
	lengths();
	settle(base);
	evbuffer_drain(bufferevent_get_input(pair[1]), 100);

	printf("adding to A's output evbuffer directly {\n");
	r = evbuffer_add(bufferevent_get_output(pair[0]), "direct", 6);
	printf("} %d\n", r);
	lengths();
	settle(base);
	evbuffer_drain(bufferevent_get_input(pair[1]), 100);

	printf("A flush EV_WRITE BEV_NORMAL {\n");
	r = bufferevent_flush(pair[0], EV_WRITE, BEV_NORMAL);
	printf("} %d\n", r);
	settle(base);
	printf("A flush EV_WRITE BEV_FINISHED {\n");
	r = bufferevent_flush(pair[0], EV_WRITE, BEV_FINISHED);
	printf("} %d\n", r);
	lengths();
	settle(base);
	printf("A flush EV_READ BEV_FLUSH {\n");
	r = bufferevent_flush(pair[0], EV_READ, BEV_FLUSH);
	printf("} %d\n", r);
	settle(base);

	printf("A writes again after BEV_FINISHED {\n");
	r = bufferevent_write(pair[0], "after", 5);
	printf("} %d\n", r);
	lengths();
	settle(base);
	evbuffer_drain(bufferevent_get_input(pair[1]), 100);

	printf("free A {\n");
	bufferevent_free(pair[0]);
	pair[0] = NULL;
	printf("}\n");
	settle(base);
	printf("B writes with no partner {\n");
	r = bufferevent_write(pair[1], "alone", 5);
	printf("} %d\n", r);
	lengths();
	settle(base);
	printf("free B\n");
	bufferevent_free(pair[1]);
	pair[1] = NULL;
	evbuffer_free(tmp);
	settle(base);
	event_base_free(base);
	printf("done\n");
	return 0;
}
