/* The usual libevent echo server: an evconnlistener whose callback wraps
 * each connection in a bufferevent (BEV_OPT_CLOSE_ON_FREE) whose read
 * callback moves its input to its output (evbuffer_add_buffer) and whose
 * event callback frees it on EOF or error. Four clients in the same loop
 * (bufferevent_socket_connect) send 1, 4096, 65539 and 300000 bytes of
 * binary data (every byte value, NULs included) and close once all of it
 * has come back. Only totals are printed: how the data is cut into reads
 * is the kernel's business. */
#include "diffb_case.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#define NCLIENTS 4
static const size_t sizes[NCLIENTS] = {1, 4096, 65539, 300000};

struct client {
	int index;
	unsigned char *data;
	size_t received;
	uint32_t sum;
	int connected;
	int mismatch;
	int done;
};

static struct event_base *base;
static struct evconnlistener *listener;
static struct client clients[NCLIENTS];
static int accepted, server_closed, clients_done;
static size_t echoed;
static unsigned server_events;

static void maybe_finish(void)
{
	if (clients_done == NCLIENTS && server_closed == NCLIENTS && listener != NULL) {
		evconnlistener_free(listener);
		listener = NULL;
	}
}

static void echo_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	echoed += evbuffer_get_length(in);
	evbuffer_add_buffer(bufferevent_get_output(bev), in);
}

static void echo_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	server_events |= (unsigned)what;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		bufferevent_free(bev);
		++server_closed;
		maybe_finish();
	}
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *addr, int socklen, void *arg)
{
	(void)lev;
	(void)addr;
	(void)socklen;
	(void)arg;
	++accepted;
	struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, echo_read, NULL, echo_event, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void client_read(struct bufferevent *bev, void *arg)
{
	struct client *c = (struct client *)arg;
	size_t n;
	unsigned char *got = case_contents(bufferevent_get_input(bev), &n);
	evbuffer_drain(bufferevent_get_input(bev), n);
	if (c->received + n > sizes[c->index] || memcmp(got, c->data + c->received, n) != 0)
		c->mismatch = 1;
	c->sum = case_fnv1a(got, n, c->sum);
	c->received += n;
	free(got);
	if (c->received >= sizes[c->index]) {
		c->done = 1;
		++clients_done;
		bufferevent_free(bev);
		maybe_finish();
	}
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = (struct client *)arg;
	if (what & BEV_EVENT_CONNECTED) {
		c->connected = 1;
		bufferevent_write(bev, c->data, sizes[c->index]);
		return;
	}
	printf("client %d: unexpected event 0x%x\n", c->index, case_flags(what));
	bufferevent_free(bev);
	++clients_done;
	maybe_finish();
}

int main(void)
{
	case_start();
	base = event_base_new();
	struct sockaddr_in sin = case_loopback(0);
	listener = evconnlistener_new_bind(base, on_accept, NULL, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, -1,
	                                   (struct sockaddr *)&sin, sizeof sin);
	if (listener == NULL)
		case_fail("evconnlistener_new_bind");
	socklen_t len = sizeof sin;
	if (getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&sin, &len) != 0)
		case_fail("getsockname");

	uint32_t x = 2463534242u;
	for (int i = 0; i < NCLIENTS; ++i) {
		struct client *c = &clients[i];
		c->index = i;
		c->sum = CASE_FNV_INIT;
		c->data = (unsigned char *)malloc(sizes[i]);
		if (c->data == NULL)
			case_fail("malloc");
		for (size_t j = 0; j < sizes[i]; ++j) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			/* Every byte value in turn, mixed with the generator. */
			c->data[j] = (unsigned char)(j < 256 ? j : x);
		}
		struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
		bufferevent_setcb(bev, client_read, NULL, client_event, c);
		bufferevent_enable(bev, EV_READ);
		if (bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof sin) != 0)
			case_fail("bufferevent_socket_connect");
	}

	printf("dispatch: %d\n", event_base_dispatch(base));
	for (int i = 0; i < NCLIENTS; ++i) {
		struct client *c = &clients[i];
		printf("client %d: connected=%d sent=%lu received=%lu fnv=%08x expected fnv=%08x mismatch=%d done=%d\n", i,
		       c->connected, (unsigned long)sizes[i], (unsigned long)c->received, (unsigned)c->sum,
		       (unsigned)case_fnv1a(c->data, sizes[i], CASE_FNV_INIT), c->mismatch, c->done);
		free(c->data);
	}
	printf("server: accepted=%d closed=%d echoed=%lu events seen=0x%x\n", accepted, server_closed,
	       (unsigned long)echoed, server_events);
	event_base_free(base);
	printf("done\n");
	return 0;
}
