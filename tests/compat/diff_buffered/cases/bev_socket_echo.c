/* bufferevent_socket_new on both ends of a socketpair with
 * BEV_OPT_CLOSE_ON_FREE: A sends a message, B echoes it back from its read
 * callback, three rounds; the order of read, write and event callbacks is
 * printed. Each step has one possible next event: a write callback runs
 * when the output has been written out (the default write low watermark is
 * 0), the peer's data is readable only after that write. Then a 100000
 * byte transfer (only the totals and the single write callback are
 * printed: how it is cut into reads is the kernel's), bufferevent_flush
 * (a no-op on sockets in libevent), and freeing B: A gets EOF. */
#include "diffb_case.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

static struct bufferevent *a, *b;
static int rounds;
static int bulk;
static size_t bulk_received;
static uint32_t bulk_sum = CASE_FNV_INIT;
static const size_t bulk_size = 100000;
static unsigned char *bulk_data;

static void send_round(void)
{
	char msg[32];
	int n = snprintf(msg, sizeof msg, "ping %d", rounds + 1);
	printf("A writes \"%s\": %d\n", msg, bufferevent_write(a, msg, (size_t)n));
}

static void on_read_a(struct bufferevent *bev, void *arg)
{
	(void)arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	case_dump("A read cb", in);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (++rounds < 3) {
		send_round();
		return;
	}
	printf("A starts the bulk transfer\n");
	bulk = 1;
	printf("A writes %lu bytes: %d\n", (unsigned long)bulk_size, bufferevent_write(a, bulk_data, bulk_size));
}

static void on_write_a(struct bufferevent *bev, void *arg)
{
	(void)arg;
	printf("A write cb: output len=%lu\n", (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
}

static void on_event_a(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	printf("A event cb: 0x%x\n", case_flags(what));
	printf("A input len=%lu\n", (unsigned long)evbuffer_get_length(bufferevent_get_input(bev)));
	bufferevent_free(bev);
	a = NULL;
}

static void on_read_b(struct bufferevent *bev, void *arg)
{
	(void)arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	if (!bulk) {
		case_dump("B read cb", in);
		printf("B echoes: %d\n", bufferevent_write_buffer(bev, in));
		return;
	}
	size_t n;
	unsigned char *c = case_contents(in, &n);
	bulk_sum = case_fnv1a(c, n, bulk_sum);
	free(c);
	evbuffer_drain(in, n);
	bulk_received += n;
	if (bulk_received < bulk_size)
		return;
	printf("B received %lu bytes, fnv=%08x (sent fnv=%08x)\n", (unsigned long)bulk_received, (unsigned)bulk_sum,
	       (unsigned)case_fnv1a(bulk_data, bulk_size, CASE_FNV_INIT));
	printf("B flush EV_WRITE BEV_NORMAL: %d\n", bufferevent_flush(bev, EV_WRITE, BEV_NORMAL));
	printf("B flush EV_READ BEV_FINISHED: %d\n", bufferevent_flush(bev, EV_READ, BEV_FINISHED));
	printf("free B\n");
	bufferevent_free(bev);
	b = NULL;
}

static void on_write_b(struct bufferevent *bev, void *arg)
{
	(void)arg;
	printf("B write cb: output len=%lu\n", (unsigned long)evbuffer_get_length(bufferevent_get_output(bev)));
}

static void on_event_b(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)arg;
	printf("B event cb: 0x%x\n", case_flags(what));
}

int main(void)
{
	case_start();
	bulk_data = (unsigned char *)malloc(bulk_size);
	if (bulk_data == NULL)
		case_fail("malloc");
	uint32_t x = 12345;
	for (size_t i = 0; i < bulk_size; ++i) {
		x = x * 1103515245u + 12345u;
		bulk_data[i] = (unsigned char)(x >> 16);
	}
	struct event_base *base = event_base_new();
	int sv[2];
	case_socketpair(sv);
	a = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	b = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE);
	printf("socket_new: %s %s\n", a ? "ok" : "NULL", b ? "ok" : "NULL");
	printf("getfd is the socket: %d %d\n", bufferevent_getfd(a) == sv[0], bufferevent_getfd(b) == sv[1]);
	printf("enabled after socket_new: 0x%x\n", case_flags(bufferevent_get_enabled(a)));
	bufferevent_setcb(a, on_read_a, on_write_a, on_event_a, NULL);
	bufferevent_setcb(b, on_read_b, on_write_b, on_event_b, NULL);
	printf("enable A EV_READ: %d\n", bufferevent_enable(a, EV_READ));
	printf("enable B EV_READ: %d\n", bufferevent_enable(b, EV_READ));
	printf("enabled: 0x%x\n", case_flags(bufferevent_get_enabled(a)));
	send_round();
	printf("A output len before the loop: %lu\n", (unsigned long)evbuffer_get_length(bufferevent_get_output(a)));
	int r = event_base_dispatch(base);
	printf("dispatch: %d\n", r);
	printf("A freed: %d, B freed: %d\n", a == NULL, b == NULL);
	printf("fds closed: %d %d\n", fcntl(sv[0], F_GETFD) == -1, fcntl(sv[1], F_GETFD) == -1);
	event_base_free(base);
	free(bulk_data);
	printf("done\n");
	return 0;
}
