/* Odds and ends of the bufferevent API: setcb/getcb, getfd/setfd (the new
 * fd is the one read afterwards), get_base and bufferevent_base_set,
 * priority_set/get_priority (a more urgent bufferevent's read callback runs
 * first when both are readable), lock/unlock (no-ops without threads),
 * the legacy constructor bufferevent_new on event_init's base with
 * bufferevent_base_set, bufferevent_settimeout and event_dispatch, and BEV_OPT_DEFER_CALLBACKS: callbacks that
 * bufferevent_trigger / bufferevent_trigger_event run inside the call
 * without it run from the loop with it; the write callback never runs
 * inside bufferevent_write. */
#include "diffb_case.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_compat.h>
#include <event2/event.h>
#include <event2/event_compat.h>

static int write_cb_ran;

static void on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	printf("  %s read cb: ", (const char *)arg);
	case_dump("input", in);
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_disable(bev, EV_READ);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	write_cb_ran = 1;
	printf("  %s write cb: output len=%lu\n", (const char *)arg,
	       (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	printf("  %s event cb: 0x%x\n", (const char *)arg, case_flags(what));
}

static void other_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)arg;
}

static void defer_test(struct event_base *base, int options, const char *name)
{
	int sv[2];
	case_socketpair(sv);
	struct bufferevent *bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE | options);
	bufferevent_setcb(bev, on_read, on_write, on_event, (void *)name);
	write_cb_ran = 0;
	printf("bufferevent_write {\n");
	bufferevent_write(bev, "data", 4);
	printf("} write cb ran inside: %d\n", write_cb_ran);
	printf("loop {\n");
	event_base_loop(base, EVLOOP_NONBLOCK);
	printf("}\n");
	printf("bufferevent_trigger EV_WRITE {\n");
	bufferevent_trigger(bev, EV_WRITE, 0);
	printf("}\n");
	printf("bufferevent_trigger EV_READ, input empty {\n");
	bufferevent_trigger(bev, EV_READ, 0);
	printf("}\n");
	printf("bufferevent_trigger EV_READ ignoring watermarks {\n");
	bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
	printf("}\n");
	printf("bufferevent_trigger_event BEV_EVENT_EOF {\n");
	bufferevent_trigger_event(bev, BEV_EVENT_EOF, 0);
	printf("}\n");
	printf("bufferevent_trigger EV_WRITE with BEV_TRIG_DEFER_CALLBACKS {\n");
	bufferevent_trigger(bev, EV_WRITE, BEV_TRIG_DEFER_CALLBACKS);
	printf("}\n");
	printf("loop {\n");
	event_base_loop(base, EVLOOP_NONBLOCK);
	printf("}\n");
	bufferevent_free(bev);
	close(sv[1]);
	event_base_loop(base, EVLOOP_NONBLOCK);
}

int main(void)
{
	case_start();
	struct event_base *base = event_base_new();
	int sv[2], tv[2];
	case_socketpair(sv);
	case_socketpair(tv);

	printf("-- setcb / getcb\n");
	struct bufferevent *bev = bufferevent_socket_new(base, sv[0], 0);
	bufferevent_data_cb r = other_read, w = other_read;
	bufferevent_event_cb e = on_event;
	void *arg = &r;
	bufferevent_getcb(bev, &r, &w, &e, &arg);
	printf("getcb of a new bufferevent: read %s write %s event %s arg %s\n", r ? "set" : "NULL", w ? "set" : "NULL",
	       e ? "set" : "NULL", arg ? "set" : "NULL");
	bufferevent_setcb(bev, on_read, on_write, on_event, "X");
	bufferevent_getcb(bev, &r, &w, &e, &arg);
	printf("getcb after setcb: %d %d %d %d\n", r == on_read, w == on_write, e == on_event,
	       arg != NULL && strcmp((const char *)arg, "X") == 0);
	bufferevent_getcb(bev, NULL, &w, NULL, NULL);
	printf("getcb with NULL outputs: %d\n", w == on_write);

	printf("-- getfd / setfd\n");
	printf("getfd is sv[0]: %d\n", bufferevent_getfd(bev) == sv[0]);
	printf("setfd tv[0]: %d\n", bufferevent_setfd(bev, tv[0]));
	printf("getfd is tv[0]: %d\n", bufferevent_getfd(bev) == tv[0]);
	bufferevent_enable(bev, EV_READ);
	case_write(sv[1], "old fd", 6);
	case_write(tv[1], "new fd", 6);
	printf("dispatch: %d\n", event_base_dispatch(base));

	printf("-- get_base / base_set\n");
	printf("get_base: %d\n", bufferevent_get_base(bev) == base);
	struct event_base *base2 = event_base_new();
	printf("base_set to another base: %d\n", bufferevent_base_set(base2, bev));
	printf("get_base is the other base: %d\n", bufferevent_get_base(bev) == base2);
	bufferevent_enable(bev, EV_READ);
	case_write(tv[1], "on base2", 8);
	printf("dispatch of the first base: %d\n", event_base_dispatch(base));
	printf("dispatch of the other base: %d\n", event_base_dispatch(base2));
	printf("lock / unlock\n");
	bufferevent_lock(bev);
	bufferevent_unlock(bev);
	bufferevent_free(bev);
	printf("without BEV_OPT_CLOSE_ON_FREE both fds stay open: %d %d\n", fcntl(sv[0], F_GETFD) != -1,
	       fcntl(tv[0], F_GETFD) != -1);
	event_base_free(base2);

	printf("-- priorities\n");
	printf("priority_init 3: %d\n", event_base_priority_init(base, 3));
	struct bufferevent *low = bufferevent_socket_new(base, sv[0], 0);
	struct bufferevent *urgent = bufferevent_socket_new(base, tv[0], 0);
	bufferevent_setcb(low, on_read, NULL, NULL, "priority 2");
	bufferevent_setcb(urgent, on_read, NULL, NULL, "priority 0");
	printf("default priority: %d\n", bufferevent_get_priority(low));
	printf("priority_set 2: %d\n", bufferevent_priority_set(low, 2));
	printf("priority_set 0: %d\n", bufferevent_priority_set(urgent, 0));
	printf("priority_set 3 (out of range): %d\n", bufferevent_priority_set(urgent, 3));
	printf("priorities: %d %d\n", bufferevent_get_priority(low), bufferevent_get_priority(urgent));
	bufferevent_enable(low, EV_READ);
	bufferevent_enable(urgent, EV_READ);
	case_write(sv[1], "to the low one", 14);
	case_write(tv[1], "to the urgent one", 17);
	printf("dispatch: %d\n", event_base_dispatch(base));
	bufferevent_free(low);
	bufferevent_free(urgent);

	printf("-- legacy bufferevent_new\n");
	/* As libevent 1.x programs did: event_init() makes the current base,
	 * which bufferevent_new uses (it needs one). */
	struct event_base *current = event_init();
	struct bufferevent *legacy = bufferevent_new(sv[0], on_read, on_write, on_event, "legacy");
	printf("bufferevent_new: %s\n", legacy ? "ok" : "NULL");
	struct event_base *got_base = bufferevent_get_base(legacy);
	printf("get_base before base_set: %s\n", got_base == NULL ? "NULL" : got_base == current ? "the current base" : "other");
	printf("base_set to the current base: %d\n", bufferevent_base_set(current, legacy));
	bufferevent_settimeout(legacy, 5, 5);
	printf("enable: %d\n", bufferevent_enable(legacy, EV_READ));
	printf("enabled: 0x%x\n", case_flags(bufferevent_get_enabled(legacy)));
	case_write(sv[1], "legacy data", 11);
	printf("event_dispatch: %d\n", event_dispatch());
	printf("write: %d\n", bufferevent_write(legacy, "reply", 5));
	printf("event_dispatch: %d\n", event_dispatch());
	char got[16];
	ssize_t n = read(sv[1], got, sizeof got);
	printf("peer got: ");
	case_print_bytes(got, n > 0 ? (size_t)n : 0);
	printf("\n");
	bufferevent_free(legacy);
	event_base_free(current);
	close(sv[0]);
	close(sv[1]);
	close(tv[0]);
	close(tv[1]);

	printf("-- without BEV_OPT_DEFER_CALLBACKS\n");
	defer_test(base, 0, "direct");
	printf("-- with BEV_OPT_DEFER_CALLBACKS\n");
	defer_test(base, BEV_OPT_DEFER_CALLBACKS, "deferred");

	event_base_free(base);
	printf("done\n");
	return 0;
}
