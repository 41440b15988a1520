/* Thread set-up: evthread_set_lock_callbacks' rules (incomplete sets
 * refused, the same set again accepted, another refused), condition
 * callbacks, evthread_use_pthreads() after a program's own lock functions,
 * lock debugging over them, and event_active() from another thread waking
 * a base's loop. Linked with libevent_pthreads on the libevent side. */
#include "diff_case.h"

#include <event2/event.h>
#include <event2/thread.h>

#include <pthread.h>
#include <string.h>

static int allocated;
static int held; /* locks held now, over every lock made by these functions */

static void *counting_alloc(unsigned locktype)
{
	pthread_mutexattr_t attributes;
	pthread_mutex_t *mutex = malloc(sizeof *mutex);
	(void)locktype;
	pthread_mutexattr_init(&attributes);
	pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(mutex, &attributes);
	pthread_mutexattr_destroy(&attributes);
	__atomic_add_fetch(&allocated, 1, __ATOMIC_RELAXED);
	return mutex;
}

static void counting_free(void *lock, unsigned locktype)
{
	(void)locktype;
	pthread_mutex_destroy(lock);
	free(lock);
}

static int counting_lock(unsigned mode, void *lock)
{
	int r = (mode & EVTHREAD_TRY) ? pthread_mutex_trylock(lock) : pthread_mutex_lock(lock);
	if (r == 0)
		__atomic_add_fetch(&held, 1, __ATOMIC_RELAXED);
	return r;
}

static int counting_unlock(unsigned mode, void *lock)
{
	(void)mode;
	__atomic_sub_fetch(&held, 1, __ATOMIC_RELAXED);
	return pthread_mutex_unlock(lock);
}

static int other_unlock(unsigned mode, void *lock)
{
	return counting_unlock(mode, lock);
}

static void on_active(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("active callback ran: %s\n", (what & EV_READ) ? "EV_READ" : "other");
	event_base_loopbreak(arg);
}

struct poke {
	struct event *ev;
};

static void *poke_from_another_thread(void *arg)
{
	struct poke *p = arg;
	usleep(50 * 1000); /* the loop is waiting by then, with nothing to wake it */
	event_active(p->ev, EV_READ, 0);
	return NULL;
}

int main(void)
{
	struct evthread_lock_callbacks incomplete = {EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
	    counting_alloc, counting_free, NULL, counting_unlock};
	struct evthread_lock_callbacks mine = {EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
	    counting_alloc, counting_free, counting_lock, counting_unlock};
	struct evthread_lock_callbacks other = mine;
	struct evthread_condition_callbacks no_conditions;
	struct event_base *base;
	struct event *ev;
	struct poke p;
	pthread_t thread;
	struct timeval forever_enough = {5, 0};

	case_start();
	other.unlock = other_unlock;
	memset(&no_conditions, 0, sizeof no_conditions);
	no_conditions.condition_api_version = EVTHREAD_CONDITION_API_VERSION;

	printf("incomplete lock callbacks: %d\n", evthread_set_lock_callbacks(&incomplete));
	printf("incomplete condition callbacks: %d\n", evthread_set_condition_callbacks(&no_conditions));
	printf("own lock callbacks: %d\n", evthread_set_lock_callbacks(&mine));
	printf("the same again: %d\n", evthread_set_lock_callbacks(&mine));
	printf("others after them: %d\n", evthread_set_lock_callbacks(&other));
	printf("evthread_use_pthreads: %d\n", evthread_use_pthreads());
	printf("own lock callbacks still set: %d\n", evthread_set_lock_callbacks(&mine));
	evthread_enable_lock_debugging();
	printf("own lock callbacks under debugging: %d\n", evthread_set_lock_callbacks(&mine));

	base = event_base_new();
	ev = event_new(base, -1, EV_PERSIST, on_active, base);
	event_add(ev, &forever_enough); /* keeps the loop waiting */
	p.ev = ev;
	if (pthread_create(&thread, NULL, poke_from_another_thread, &p) != 0)
		case_fail("pthread_create");
	printf("dispatch: %d\n", event_base_dispatch(base));
	pthread_join(thread, NULL);
	printf("no lock left held: %s\n", held == 0 ? "yes" : "no");
	event_free(ev);
	event_base_free(base);
	return 0;
}
