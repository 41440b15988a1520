/* Bufferevents made with BEV_OPT_THREADSAFE, used from threads other than
 * the loop's while it runs:
 * - four writers send 400 messages each through one bufferevent, each
 *   message in two bufferevent_write() calls under bufferevent_lock(), so
 *   that no other writer's bytes can come between its halves;
 * - the far end echoes everything back from the loop, and every 50th
 *   message a writer turns the echo side's reading off and on again;
 * - another thread makes, uses and frees bufferevents of its own on the
 *   same base, 20 times.
 * The loop's read callback checks that every message came back whole and
 * that each writer's came in order. Without real locks the halves
 * interleave and the counts go wrong; a hand-over that waits for the loop
 * while a writer holds the lock would hang (the alarm ends it). */
#include "diff_case.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/thread.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WRITERS 4
#define MESSAGES 400

static struct event_base *base;
static struct bufferevent *sender;   /* the writers write here */
static struct bufferevent *echoer;   /* the far end: echoes */

/* Touched by the loop's thread only. */
static int next_seq[WRITERS];
static int received;
static int broken;

static void on_echo_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

/* Messages are "<writer>:<seq>|<seq>\n": the part after '|' is the
 * second write. */
static void on_sender_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *input = bufferevent_get_input(bev);
	char *line;
	(void)arg;
	while ((line = evbuffer_readln(input, NULL, EVBUFFER_EOL_LF)) != NULL) {
		int writer = -1, seq = -1, again = -1;
		if (sscanf(line, "%d:%d|%d", &writer, &seq, &again) != 3 || writer < 0 ||
		    writer >= WRITERS || seq != again || seq != next_seq[writer]) {
			if (broken++ < 3)
				printf("broken message: %s\n", line);
		} else {
			++next_seq[writer];
		}
		free(line);
		if (++received == WRITERS * MESSAGES)
			event_base_loopexit(base, NULL);
	}
}

static void *run_writer(void *arg)
{
	int writer = (int)(intptr_t)arg;
	char first[32], second[32];
	int i;
	for (i = 0; i < MESSAGES; ++i) {
		int n1 = snprintf(first, sizeof first, "%d:%d", writer, i);
		int n2 = snprintf(second, sizeof second, "|%d\n", i);
		bufferevent_lock(sender);
		bufferevent_write(sender, first, (size_t)n1);
		bufferevent_write(sender, second, (size_t)n2);
		bufferevent_unlock(sender);
		if (i % 50 == 49) {
			bufferevent_disable(echoer, EV_READ);
			bufferevent_enable(echoer, EV_READ);
		}
	}
	return NULL;
}

static void on_scratch_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	(void)arg;
}

/* Bufferevents made and freed while the loop runs on another thread. */
static void *run_scratch(void *arg)
{
	int i, made = 0;
	(void)arg;
	for (i = 0; i < 20; ++i) {
		int fds[2];
		struct bufferevent *bev;
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
			case_fail("socketpair");
		evutil_make_socket_nonblocking(fds[0]);
		bev = bufferevent_socket_new(base, fds[0], BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL)
			case_fail("bufferevent_socket_new");
		bufferevent_setcb(bev, NULL, NULL, on_scratch_event, NULL);
		bufferevent_enable(bev, EV_READ | EV_WRITE);
		bufferevent_write(bev, "x", 1);
		bufferevent_free(bev);
		close(fds[1]);
		++made;
	}
	printf("scratch bufferevents made and freed: %d\n", made);
	return NULL;
}

int main(void)
{
	pthread_t writers[WRITERS], scratch;
	int fds[2], i;
	struct timeval long_time = {60, 0};

	case_start();
	/* A scratch bufferevent's "x" may be written by the loop after its peer
	 * end was closed: EPIPE for both libraries, not a signal that kills the
	 * case (it did, once, to libevent under AddressSanitizer's timing). */
	signal(SIGPIPE, SIG_IGN);
	/* Before any lock functions are set, a locked bufferevent cannot be
	 * made. */
	base = event_base_new();
	if (base == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
		case_fail("setup");
	sender = bufferevent_socket_new(base, fds[0], BEV_OPT_THREADSAFE);
	printf("BEV_OPT_THREADSAFE without lock functions: %s\n", sender == NULL ? "refused" : "made");
	if (sender != NULL)
		bufferevent_free(sender);
	close(fds[0]);
	close(fds[1]);
	event_base_free(base);

	if (evthread_use_pthreads() != 0)
		case_fail("evthread_use_pthreads");
	base = event_base_new();
	if (base == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
		case_fail("setup");
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	sender = bufferevent_socket_new(base, fds[0], BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE);
	echoer = bufferevent_socket_new(base, fds[1], BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE);
	if (sender == NULL || echoer == NULL)
		case_fail("bufferevent_socket_new");
	bufferevent_setcb(sender, on_sender_read, NULL, NULL, NULL);
	bufferevent_setcb(echoer, on_echo_read, NULL, NULL, NULL);
	bufferevent_set_timeouts(echoer, &long_time, NULL);
	bufferevent_enable(sender, EV_READ);
	bufferevent_enable(echoer, EV_READ);

	for (i = 0; i < WRITERS; ++i)
		if (pthread_create(&writers[i], NULL, run_writer, (void *)(intptr_t)i) != 0)
			case_fail("pthread_create");
	if (pthread_create(&scratch, NULL, run_scratch, NULL) != 0)
		case_fail("pthread_create");
	event_base_dispatch(base);
	for (i = 0; i < WRITERS; ++i)
		pthread_join(writers[i], NULL);
	pthread_join(scratch, NULL);

	printf("received %d of %d messages, %d broken\n", received, WRITERS * MESSAGES, broken);
	for (i = 0; i < WRITERS; ++i)
		printf("writer %d: %d in order\n", i, next_seq[i]);

	bufferevent_free(sender);
	bufferevent_free(echoer);
	event_base_free(base);
	return 0;
}
