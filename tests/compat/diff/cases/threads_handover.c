/* Calls from other threads while a base is set up, runs and stops: eight
 * threads, started before event_base_dispatch(), each add a 1 ms timer
 * of their own 100 times and wait for it to fire; the last one to finish
 * calls event_base_loopexit(). Adds that race with the start of the loop,
 * and with its end, must neither corrupt the base nor wait for ever. */
#include "diff_case.h"

#include <event2/event.h>
#include <event2/thread.h>

#include <pthread.h>

#define THREADS 8
#define ROUNDS 100

struct worker {
	struct event_base *base;
	struct event *timer;
	pthread_mutex_t mutex;
	pthread_cond_t fired_cond;
	int fired;
};

static pthread_mutex_t count_mutex = PTHREAD_MUTEX_INITIALIZER;
static int count;

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->mutex);
	w->fired = 1;
	pthread_cond_signal(&w->fired_cond);
	pthread_mutex_unlock(&w->mutex);
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	struct timeval one_ms = {0, 1000};
	int i;
	for (i = 0; i < ROUNDS; ++i) {
		pthread_mutex_lock(&w->mutex);
		w->fired = 0;
		event_add(w->timer, &one_ms);
		while (!w->fired)
			pthread_cond_wait(&w->fired_cond, &w->mutex);
		pthread_mutex_unlock(&w->mutex);
	}
	pthread_mutex_lock(&count_mutex);
	count += ROUNDS;
	if (count == THREADS * ROUNDS)
		event_base_loopexit(w->base, NULL);
	pthread_mutex_unlock(&count_mutex);
	return NULL;
}

int main(void)
{
	struct worker workers[THREADS];
	pthread_t threads[THREADS];
	struct event *keep_alive;
	struct timeval long_time = {100, 0};
	struct event_base *base;
	int i;

	case_start();
	evthread_use_pthreads();
	base = event_base_new();
	keep_alive = evtimer_new(base, on_timer, &workers[0]);
	evtimer_add(keep_alive, &long_time);
	for (i = 0; i < THREADS; ++i) {
		workers[i].base = base;
		workers[i].timer = evtimer_new(base, on_timer, &workers[i]);
		pthread_mutex_init(&workers[i].mutex, NULL);
		pthread_cond_init(&workers[i].fired_cond, NULL);
		if (pthread_create(&threads[i], NULL, run_worker, &workers[i]) != 0)
			case_fail("pthread_create");
	}
	printf("dispatch: %d\n", event_base_dispatch(base));
	for (i = 0; i < THREADS; ++i)
		pthread_join(threads[i], NULL);
	printf("timers fired: %d of %d\n", count, THREADS * ROUNDS);
	for (i = 0; i < THREADS; ++i)
		event_free(workers[i].timer);
	event_free(keep_alive);
	event_base_free(base);
	return 0;
}
