/* bufferevent_filter_new over a bufferevent pair and over a socket.
 * Over the pair: A's output filter upper-cases; B's input filter applies
 * rot13 to whole lines only and answers BEV_NEED_MORE for a partial one;
 * bufferevent_flush with BEV_FLUSH makes A's line-holding output filter
 * pass a partial line on, BEV_FINISHED reaches B as READING|EOF through
 * the filter; bufferevent_get_underlying, getfd (-1 for a pair);
 * BEV_OPT_CLOSE_ON_FREE frees the underlying (B's partner is gone) and
 * free_context runs. Over a socket: the underlying's write high mark
 * limits what the output filter may add (dst_limit), the fd is the
 * underlying's, data read from the peer is decoded, and the peer's close
 * reaches the filter's event callback; without CLOSE_ON_FREE the
 * underlying outlives the filter and gets its callbacks back (none). */
#include "diffb_case.h"

#include <ctype.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

static const char *mode_name(enum bufferevent_flush_mode mode)
{
	return mode == BEV_NORMAL ? "NORMAL" : mode == BEV_FLUSH ? "FLUSH" : "FINISHED";
}

/* Upper-cases whole lines; a partial line waits unless flushing. */
static enum bufferevent_filter_result upper_lines(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
						  enum bufferevent_flush_mode mode, void *ctx)
{
	(void)ctx;
	size_t n = evbuffer_get_length(src);
	unsigned char *p = evbuffer_pullup(src, -1);
	size_t take = 0;
	for (size_t i = 0; i < n; ++i)
		if (p[i] == '\n')
			take = i + 1;
	if (mode != BEV_NORMAL)
		take = n;
	printf("    upper: src=%lu limit=%ld mode=%s take=%lu\n", (unsigned long)n, (long)limit, mode_name(mode),
	       (unsigned long)take);
	if (take == 0)
		return BEV_NEED_MORE;
	for (size_t i = 0; i < take; ++i) {
		char c = (char)toupper(p[i]);
		evbuffer_add(dst, &c, 1);
	}
	evbuffer_drain(src, take);
	return BEV_OK;
}

static char rot13(char c)
{
	if (c >= 'a' && c <= 'z')
		return (char)('a' + (c - 'a' + 13) % 26);
	if (c >= 'A' && c <= 'Z')
		return (char)('A' + (c - 'A' + 13) % 26);
	return c;
}

/* rot13 of the first whole line; BEV_NEED_MORE without one. */
static enum bufferevent_filter_result rot13_line(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
						 enum bufferevent_flush_mode mode, void *ctx)
{
	(void)ctx;
	size_t n = evbuffer_get_length(src);
	struct evbuffer_ptr eol = evbuffer_search(src, "\n", 1, NULL);
	printf("    rot13: src=%lu limit=%ld mode=%s line=%d\n", (unsigned long)n, (long)limit, mode_name(mode),
	       eol.pos >= 0);
	if (eol.pos < 0)
		return BEV_NEED_MORE;
	size_t take = (size_t)eol.pos + 1;
	unsigned char *p = evbuffer_pullup(src, (ev_ssize_t)take);
	for (size_t i = 0; i < take; ++i) {
		char c = rot13((char)p[i]);
		evbuffer_add(dst, &c, 1);
	}
	evbuffer_drain(src, take);
	return BEV_OK;
}

/* libevent frees a bufferevent from the loop, eddy at once: only whether
 * free_context ran is compared, after the loop. */
static int contexts_freed;

static void free_ctx(void *ctx)
{
	(void)ctx;
	++contexts_freed;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	printf("    %s read cb: ", (const char *)arg);
	case_dump("input", bufferevent_get_input(bev));
}

static void on_read_drain(struct bufferevent *bev, void *arg)
{
	on_read(bev, arg);
	struct evbuffer *in = bufferevent_get_input(bev);
	evbuffer_drain(in, evbuffer_get_length(in));
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

/* Runs the loop until nothing is left to do (no fds are waited on). */
static void settle(struct event_base *base)
{
	printf("  loop {\n");
	for (int i = 0; i < 100 && event_base_loop(base, EVLOOP_NONBLOCK) == 0; ++i)
		;
	printf("  }\n");
}

static void over_pair(struct event_base *base)
{
	struct bufferevent *pair[2];
	int r;

	printf("-- over a pair\n");
	if (bufferevent_pair_new(base, 0, pair) != 0)
		case_fail("bufferevent_pair_new");
	struct bufferevent *a = bufferevent_filter_new(pair[0], NULL, upper_lines, BEV_OPT_CLOSE_ON_FREE, free_ctx, "A");
	struct bufferevent *b = bufferevent_filter_new(pair[1], rot13_line, NULL, BEV_OPT_CLOSE_ON_FREE, free_ctx, "B");
	printf("filter_new NULL underlying: %d\n", bufferevent_filter_new(NULL, NULL, NULL, 0, NULL, NULL) == NULL);
	printf("underlying of A is pair[0]: %d, of pair[0]: %d\n", bufferevent_get_underlying(a) == pair[0],
	       bufferevent_get_underlying(pair[0]) == NULL);
	printf("getfd A: %d, enabled A: 0x%x\n", (int)bufferevent_getfd(a), case_flags(bufferevent_get_enabled(a)));
	bufferevent_setcb(a, on_read, on_write, on_event, "A");
	bufferevent_setcb(b, on_read_drain, on_write, on_event, "B");
	printf("B enables EV_READ {\n");
	r = bufferevent_enable(b, EV_READ);
	printf("} %d\n", r);
	settle(base);

	printf("A writes \"hello\\nwor\" {\n");
	r = bufferevent_write(a, "hello\nwor", 9);
	printf("} %d\n", r);
	case_dump("  A output", bufferevent_get_output(a));
	settle(base);
	printf("A writes \"ld\\nand \" {\n");
	r = bufferevent_write(a, "ld\nand ", 7);
	printf("} %d\n", r);
	settle(base);

	printf("A flush EV_WRITE BEV_NORMAL {\n");
	r = bufferevent_flush(a, EV_WRITE, BEV_NORMAL);
	printf("} %d\n", r);
	settle(base);
	printf("A flush EV_WRITE BEV_FLUSH {\n");
	r = bufferevent_flush(a, EV_WRITE, BEV_FLUSH);
	printf("} %d\n", r);
	case_dump("  A output", bufferevent_get_output(a));
	settle(base);
	case_dump("B's underlying input", bufferevent_get_input(pair[1]));
	printf("A writes \"more\\n\" {\n");
	r = bufferevent_write(a, "more\n", 5);
	printf("} %d\n", r);
	settle(base);

	printf("A disables EV_WRITE, writes \"held\\n\" {\n");
	bufferevent_disable(a, EV_WRITE);
	r = bufferevent_write(a, "held\n", 5);
	printf("} %d\n", r);
	settle(base);
	case_dump("A output", bufferevent_get_output(a));
	printf("A enables EV_WRITE, flush EV_WRITE BEV_FINISHED {\n");
	bufferevent_enable(a, EV_WRITE);
	r = bufferevent_flush(a, EV_WRITE, BEV_FINISHED);
	printf("} %d\n", r);
	settle(base);

	printf("free A {\n");
	bufferevent_free(a);
	printf("}\n");
	settle(base);
	printf("contexts freed: %d\n", contexts_freed);
	printf("partner of pair[1] after freeing A: %d\n", bufferevent_pair_get_partner(pair[1]) == NULL);
	printf("free B {\n");
	bufferevent_free(b);
	printf("}\n");
	settle(base);
	printf("contexts freed: %d\n", contexts_freed);
}

static void over_socket(struct event_base *base)
{
	int sv[2];
	char got[64];

	printf("-- over a socket\n");
	case_socketpair(sv);
	case_nonblock(sv[0]);
	struct bufferevent *under = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	struct bufferevent *f = bufferevent_filter_new(under, rot13_line, upper_lines, 0, NULL, NULL);
	printf("getfd is the underlying's: %d\n", bufferevent_getfd(f) == sv[0]);
	bufferevent_setcb(f, on_read_drain, NULL, on_event, "F");
	bufferevent_setwatermark(under, EV_WRITE, 0, 8);
	printf("write \"first line\\nsecond\\n\" with the underlying's write high mark at 8 {\n");
	bufferevent_write(f, "first line\nsecond\n", 18);
	printf("}\n");
	printf("underlying output len=%lu, filter output len=%lu\n",
	       (unsigned long)evbuffer_get_length(bufferevent_get_output(under)),
	       (unsigned long)evbuffer_get_length(bufferevent_get_output(f)));
	size_t n = 0;
	while (n < 18) {
		event_base_loop(base, EVLOOP_ONCE);
		ssize_t r = read(sv[1], got + n, sizeof got - n);
		if (r > 0)
			n += (size_t)r;
	}
	printf("peer read: ");
	case_print_bytes(got, n);
	printf("\n");

	printf("peer writes \"uryyb\\nab\" and \"\\n\", then closes\n");
	bufferevent_enable(f, EV_READ);
	case_write(sv[1], "uryyb\nab", 8);
	event_base_loop(base, EVLOOP_ONCE);
	case_write(sv[1], "\n", 1);
	close(sv[1]);
	event_base_dispatch(base);

	printf("free the filter, not the underlying {\n");
	bufferevent_free(f);
	printf("}\n");
	bufferevent_data_cb rcb;
	bufferevent_event_cb ecb;
	bufferevent_getcb(under, &rcb, NULL, &ecb, NULL);
	printf("underlying's callbacks cleared: %d\n", rcb == NULL && ecb == NULL);
	bufferevent_free(under);
}

int main(void)
{
	case_start();
	struct event_base *base = event_base_new();
	over_pair(base);
	over_socket(base);
	event_base_free(base);
	printf("done\n");
	return 0;
}
