/* EV_CLOSED: when the base has EV_FEATURE_EARLY_CLOSE, an event watching
 * EV_CLOSED on a socketpair end fires with EV_CLOSED once the peer has done
 * shutdown(SHUT_WR); an EV_READ|EV_CLOSED event gets both flags. Without
 * the feature (poll) the case only reports that it is missing. */
#include "diff_case.h"

#include <sys/socket.h>

#include <event2/event.h>

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("  %s: what=0x%x\n", (const char *)arg, case_flags(what));
}

int main(void)
{
	case_start();
	int s[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0)
		case_fail("socketpair");
	struct event_base *base = event_base_new();
	if (!(event_base_get_features(base) & EV_FEATURE_EARLY_CLOSE)) {
		printf("EV_FEATURE_EARLY_CLOSE missing\n");
		event_base_free(base);
		printf("done\n");
		return 0;
	}
	printf("EV_FEATURE_EARLY_CLOSE present\n");

	struct event *closed = event_new(base, s[0], EV_CLOSED, on_event, "CLOSED");
	struct event *rc = event_new(base, s[0], EV_READ | EV_CLOSED, on_event, "READ|CLOSED");
	printf("add CLOSED: %d\n", event_add(closed, NULL));
	printf("pending: 0x%x\n", (unsigned)event_pending(closed, EV_CLOSED | EV_READ | EV_WRITE, NULL));
	printf("peer open, loop(NONBLOCK): %d\n", event_base_loop(base, EVLOOP_NONBLOCK));
	printf("peer shutdown(SHUT_WR): %d\n", shutdown(s[1], SHUT_WR));
	printf("loop(ONCE): %d\n", event_base_loop(base, EVLOOP_ONCE));
	printf("add READ|CLOSED: %d\n", event_add(rc, NULL));
	printf("loop(ONCE): %d\n", event_base_loop(base, EVLOOP_ONCE));
	printf("loop (nothing left): %d\n", event_base_loop(base, EVLOOP_NONBLOCK));

	event_free(closed);
	event_free(rc);
	event_base_free(base);
	close(s[0]);
	close(s[1]);
	printf("done\n");
	return 0;
}
