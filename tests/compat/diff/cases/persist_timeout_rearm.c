/* EV_READ|EV_PERSIST with a timeout: with no data the timeout fires again
 * and again (what=EV_TIMEOUT); after a read activation the timeout is
 * re-armed from that moment, so the next timeout comes a full period after
 * the read, not at the originally scheduled deadline. */
#include "diff_case.h"

#include <event2/event.h>

static int fds[2];
static int timeouts;
static struct event *pev;

static void on_repeat(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)arg;
	++timeouts;
	printf("repeat: what=0x%x count=%d\n", case_flags(what), timeouts);
	if (timeouts == 3)
		printf("repeat: del=%d\n", event_del(pev));
}

static void on_rearm(evutil_socket_t fd, short what, void *arg)
{
	(void)arg;
	if (what & EV_READ) {
		char c;
		printf("rearm: what=0x%x read=%d\n", case_flags(what), (int)read(fd, &c, 1));
	}
	if (what & EV_TIMEOUT) {
		printf("rearm: what=0x%x (timeout)\n", case_flags(what));
		printf("rearm: del=%d\n", event_del(pev));
	}
}

static void on_writer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	printf("writer: data at 60 ms\n");
	case_write(fds[1], "x", 1);
}

static void on_marker(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	printf("marker: 230 ms (after the original 200 ms deadline, before 60+200 ms)\n");
}

int main(void)
{
	case_start();
	case_pipe(fds);
	struct event_base *base = event_base_new();

	/* Part 1: the timeout repeats while no data comes. */
	pev = event_new(base, fds[0], EV_READ | EV_PERSIST, on_repeat, NULL);
	struct timeval tv = case_ms(20);
	printf("add repeat: %d\n", event_add(pev, &tv));
	printf("dispatch: %d\n", event_base_dispatch(base));
	event_free(pev);

	/* Part 2: a read at 60 ms moves the 200 ms timeout to about 260 ms. */
	pev = event_new(base, fds[0], EV_READ | EV_PERSIST, on_rearm, NULL);
	tv = case_ms(200);
	printf("add rearm: %d\n", event_add(pev, &tv));
	/* The marker is scheduled before the writer, so a stall between the
	 * two only moves the read, and the re-armed timeout, later. */
	tv = case_ms(230);
	event_base_once(base, -1, EV_TIMEOUT, on_marker, NULL, &tv);
	tv = case_ms(60);
	event_base_once(base, -1, EV_TIMEOUT, on_writer, NULL, &tv);
	printf("dispatch: %d\n", event_base_dispatch(base));
	event_free(pev);

	event_base_free(base);
	printf("done\n");
	return 0;
}
