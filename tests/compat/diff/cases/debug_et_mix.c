/* In debug mode, adding a level-triggered event to an fd that has an
 * edge-triggered one fails (and the reverse), and the refused event is not
 * pending; once the other event is deleted the add succeeds. Events on
 * other fds, and several edge-triggered events on one fd, are unaffected. */
#include "diff_case.h"

#include <event2/event.h>

static void ignore(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int main(void)
{
	case_start();
	event_enable_debug_mode();
	struct event_base *base = event_base_new();
	int p[2], q[2];
	case_pipe(p);
	case_pipe(q);
	/* libevent's debug mode also insists that edge-triggered fds do not block. */
	evutil_make_socket_nonblocking(p[0]);
	evutil_make_socket_nonblocking(q[0]);
	struct event *et = event_new(base, p[0], EV_READ | EV_ET, ignore, NULL);
	struct event *et2 = event_new(base, p[0], EV_READ | EV_ET | EV_PERSIST, ignore, NULL);
	struct event *lt = event_new(base, p[0], EV_READ, ignore, NULL);
	struct event *other = event_new(base, q[0], EV_READ, ignore, NULL);

	printf("add et: %d\n", event_add(et, NULL));
	printf("add second et: %d\n", event_add(et2, NULL));
	printf("add lt: %d\n", event_add(lt, NULL));
	printf("pending et %d lt %d\n", event_pending(et, EV_READ, NULL), event_pending(lt, EV_READ, NULL));
	printf("add lt on another fd: %d\n", event_add(other, NULL));
	event_del(et);
	printf("add lt with one et left: %d\n", event_add(lt, NULL));
	event_del(et2);
	printf("add lt alone: %d\n", event_add(lt, NULL));
	printf("add et: %d\n", event_add(et, NULL));
	printf("pending et %d lt %d\n", event_pending(et, EV_READ, NULL), event_pending(lt, EV_READ, NULL));
	event_free(et);
	event_free(et2);
	event_free(lt);
	event_free(other);
	event_base_free(base);
	return 0;
}
