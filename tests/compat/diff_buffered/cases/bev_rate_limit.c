/* Rate limiting: ev_token_bucket_cfg, per-bufferevent limits, groups.
 * The inspection steps use a tick of 100000 s, so that no refill happens
 * while they run (ticks count from the epoch: a boundary falls in a run
 * about once a day of runs); with rate == burst a refill would not change
 * a full bucket anyway. The transfer uses a 100 ms tick: the peer writes
 * 20 KiB at once to a bufferevent limited to 4096 bytes per tick, which
 * writes 20 KiB back under the same limit, and only what timing cannot
 * change is printed: no read callback sees more than a tick's worth, at
 * least five callbacks ran, the bytes all arrived both ways, the first read
 * and the last write left their buckets at zero, and the group counted
 * every byte. */
#include "diffb_case.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

static void limits(const char *what, struct bufferevent *bev)
{
	ev_ssize_t r = bufferevent_get_read_limit(bev);
	ev_ssize_t w = bufferevent_get_write_limit(bev);
	printf("%s: read_limit=", what);
	if (r == EV_SSIZE_MAX)
		printf("MAX");
	else
		printf("%ld", (long)r);
	printf(" write_limit=");
	if (w == EV_SSIZE_MAX)
		printf("MAX");
	else
		printf("%ld", (long)w);
	printf(" max_to_read=%ld max_to_write=%ld\n", (long)bufferevent_get_max_to_read(bev),
	       (long)bufferevent_get_max_to_write(bev));
}

static void group_limits(const char *what, struct bufferevent_rate_limit_group *g, struct bufferevent *bev)
{
	printf("%s: group read=%ld write=%ld, bev max_to_read=%ld max_to_write=%ld\n", what,
	       (long)bufferevent_rate_limit_group_get_read_limit(g),
	       (long)bufferevent_rate_limit_group_get_write_limit(g), (long)bufferevent_get_max_to_read(bev),
	       (long)bufferevent_get_max_to_write(bev));
}

static void totals(struct bufferevent_rate_limit_group *g)
{
	ev_uint64_t r = 1, w = 1;
	bufferevent_rate_limit_group_get_totals(g, &r, &w);
	printf("group totals: read=%lu written=%lu\n", (unsigned long)r, (unsigned long)w);
}

#define TOTAL (20 * 1024)
#define BURST 4096

static size_t received, biggest;
static int callbacks;
static ev_ssize_t first_limit = 12345;
static uint32_t sum = CASE_FNV_INIT;
static int sent;
static ev_ssize_t write_limit_at_end = 12345;

static void finish_when_done(struct event_base *base)
{
	if (received >= TOTAL && sent)
		event_base_loopexit(base, NULL);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;
	unsigned char *data = case_contents(in, &n);
	sum = case_fnv1a(data, n, sum);
	free(data);
	evbuffer_drain(in, n);
	if (callbacks++ == 0)
		first_limit = bufferevent_get_read_limit(bev);
	if (n > biggest)
		biggest = n;
	received += n;
	finish_when_done((struct event_base *)arg);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0 && !sent) {
		sent = 1;
		write_limit_at_end = bufferevent_get_write_limit(bev);
	}
	finish_when_done((struct event_base *)arg);
}

int main(void)
{
	case_start();
	struct event_base *base = event_base_new();
	int sv[2];
	case_socketpair(sv);

	printf("-- configurations\n");
	printf("rate above burst: %s\n", ev_token_bucket_cfg_new(100, 50, 10, 10, NULL) ? "cfg" : "NULL");
	printf("write rate above burst: %s\n", ev_token_bucket_cfg_new(10, 10, 100, 50, NULL) ? "cfg" : "NULL");
	printf("zero rate: %s\n", ev_token_bucket_cfg_new(0, 10, 10, 10, NULL) ? "cfg" : "NULL");
	printf("burst above EV_RATE_LIMIT_MAX: %s\n",
	       ev_token_bucket_cfg_new(10, (size_t)EV_RATE_LIMIT_MAX + 1, 10, 10, NULL) ? "cfg" : "NULL");
	struct timeval long_tick = {100000, 0};
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(1000, 2000, 500, 800, &long_tick);
	struct ev_token_bucket_cfg *cfg2 = ev_token_bucket_cfg_new(100, 150, 100, 1000, &long_tick);
	printf("valid: %s %s\n", cfg ? "cfg" : "NULL", cfg2 ? "cfg" : "NULL");

	printf("-- one bufferevent's limit\n");
	struct bufferevent *bev = bufferevent_socket_new(base, sv[0], 0);
	bufferevent_set_max_single_read(bev, 5000);
	bufferevent_set_max_single_write(bev, 6000);
	printf("cfg before: %s\n", bufferevent_get_token_bucket_cfg(bev) ? "set" : "NULL");
	limits("no limit", bev);
	printf("set_rate_limit: %d\n", bufferevent_set_rate_limit(bev, cfg));
	printf("cfg after: %s\n", bufferevent_get_token_bucket_cfg(bev) == cfg ? "the same" : "other");
	limits("fresh bucket", bev);
	bufferevent_set_max_single_read(bev, 300);
	limits("max single read 300", bev);
	bufferevent_set_max_single_read(bev, 5000);
	printf("decrement read 400: %d\n", bufferevent_decrement_read_limit(bev, 400));
	limits("", bev);
	printf("decrement read 700: %d\n", bufferevent_decrement_read_limit(bev, 700));
	limits("", bev);
	printf("decrement read -300: %d\n", bufferevent_decrement_read_limit(bev, -300));
	limits("", bev);
	printf("decrement write -1000: %d\n", bufferevent_decrement_write_limit(bev, -1000));
	limits("", bev);
	printf("set_rate_limit again, same cfg: %d\n", bufferevent_set_rate_limit(bev, cfg));
	limits("", bev);
	printf("set_rate_limit, smaller bursts: %d\n", bufferevent_set_rate_limit(bev, cfg2));
	limits("", bev);
	printf("set_rate_limit NULL: %d\n", bufferevent_set_rate_limit(bev, NULL));
	printf("cfg: %s\n", bufferevent_get_token_bucket_cfg(bev) ? "set" : "NULL");
	limits("", bev);

	printf("-- a group\n");
	struct ev_token_bucket_cfg *gcfg = ev_token_bucket_cfg_new(10000, 10000, 20000, 20000, &long_tick);
	struct bufferevent_rate_limit_group *g = bufferevent_rate_limit_group_new(base, gcfg);
	struct bufferevent *bev2 = bufferevent_socket_new(base, -1, 0);
	bufferevent_set_max_single_read(bev2, 5000);
	totals(g);
	printf("add: %d\n", bufferevent_add_to_rate_limit_group(bev, g));
	group_limits("one member", g, bev);
	bufferevent_set_max_single_read(bev, 8000);
	printf("add another: %d\n", bufferevent_add_to_rate_limit_group(bev2, g));
	group_limits("two members", g, bev);
	printf("group decrement read 9950: %d\n", bufferevent_rate_limit_group_decrement_read(g, 9950));
	group_limits("", g, bev);
	printf("min share 10: %d\n", bufferevent_rate_limit_group_set_min_share(g, 10));
	group_limits("", g, bev);
	printf("min share 30000 (above the rates): %d\n", bufferevent_rate_limit_group_set_min_share(g, 30000));
	group_limits("", g, bev);
	bufferevent_rate_limit_group_set_min_share(g, 64);
	printf("group decrement read 100: %d\n", bufferevent_rate_limit_group_decrement_read(g, 100));
	group_limits("", g, bev);
	printf("group decrement read -1050: %d\n", bufferevent_rate_limit_group_decrement_read(g, -1050));
	group_limits("", g, bev);
	printf("group decrement write 19000: %d\n", bufferevent_rate_limit_group_decrement_write(g, 19000));
	group_limits("", g, bev);
	printf("own limit too: %d\n", bufferevent_set_rate_limit(bev, cfg));
	group_limits("", g, bev);
	printf("set_cfg: %d\n", bufferevent_rate_limit_group_set_cfg(g, cfg2));
	group_limits("", g, bev);
	/* Not bufferevent_add_to_rate_limit_group(bev, NULL), which the header
	 * documents as a removal: libevent 2.1 crashes on it. */
	printf("remove: %d\n", bufferevent_remove_from_rate_limit_group(bev2));
	printf("remove: %d\n", bufferevent_remove_from_rate_limit_group(bev));
	limits("out of the group", bev);
	bufferevent_free(bev2);
	bufferevent_free(bev);
	bufferevent_rate_limit_group_free(g);
	ev_token_bucket_cfg_free(gcfg);

	printf("-- a transfer at %d bytes per 100 ms tick\n", BURST);
	struct timeval tick = {0, 100000};
	struct ev_token_bucket_cfg *fast = ev_token_bucket_cfg_new(BURST, BURST, BURST, BURST, &tick);
	struct ev_token_bucket_cfg *roomy = ev_token_bucket_cfg_new(1000000, 1000000, 1000000, 1000000, NULL);
	g = bufferevent_rate_limit_group_new(base, roomy);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_set_max_single_read(bev, 16384);
	bufferevent_setcb(bev, on_read, on_write, NULL, base);
	bufferevent_set_rate_limit(bev, fast);
	bufferevent_add_to_rate_limit_group(bev, g);
	bufferevent_enable(bev, EV_READ);
	static char out[TOTAL];
	for (size_t i = 0; i < TOTAL; ++i)
		out[i] = (char)('a' + i % 26);
	case_write(sv[1], out, TOTAL);
	bufferevent_write(bev, out, TOTAL);
	event_base_dispatch(base);
	printf("received %lu, same bytes: %s\n", (unsigned long)received,
	       sum == case_fnv1a(out, TOTAL, CASE_FNV_INIT) ? "yes" : "no");
	printf("read limit after the first read: %ld\n", (long)first_limit);
	printf("no callback above %d: %s\n", BURST, biggest <= BURST ? "yes" : "no");
	printf("at least %d callbacks: %s\n", TOTAL / BURST, callbacks >= TOTAL / BURST ? "yes" : "no");
	printf("write limit after the last write: %ld\n", (long)write_limit_at_end);
	static char back[TOTAL];
	size_t got = case_read_full(sv[1], back, TOTAL);
	printf("peer got %lu, same bytes: %s\n", (unsigned long)got, memcmp(back, out, TOTAL) == 0 ? "yes" : "no");
	totals(g);
	bufferevent_rate_limit_group_reset_totals(g);
	totals(g);
	/* libevent leaves a group only when a freed bufferevent is finalized,
	 * later: the group must be empty when it is freed. */
	bufferevent_remove_from_rate_limit_group(bev);
	bufferevent_free(bev);
	bufferevent_rate_limit_group_free(g);
	ev_token_bucket_cfg_free(fast);
	ev_token_bucket_cfg_free(roomy);
	ev_token_bucket_cfg_free(cfg);
	ev_token_bucket_cfg_free(cfg2);
	close(sv[1]);
	event_base_free(base);
	printf("done\n");
	return 0;
}
