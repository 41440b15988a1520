/* eddy's libevent-compatible API: threading set-up (libevent 2.1's
 * <event2/thread.h>). A base belongs to the thread that runs its loop;
 * docs/compat.md says what crosses threads. */
#ifndef EDDY_COMPAT_EVENT2_THREAD_H
#define EDDY_COMPAT_EVENT2_THREAD_H

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct timeval;

/* Modes of a lock call: write (exclusive) or read access, and "try". */
#define EVTHREAD_WRITE 0x04
#define EVTHREAD_READ 0x08
#define EVTHREAD_TRY 0x10

#define EVTHREAD_LOCK_API_VERSION 1
#define EVTHREAD_LOCKTYPE_RECURSIVE 1
#define EVTHREAD_LOCKTYPE_READWRITE 2

/* How to make, take and release a lock. alloc returns NULL on failure;
 * lock and unlock return 0 on success (lock with EVTHREAD_TRY: nonzero
 * when another thread holds it). Recursive locks are required. */
struct evthread_lock_callbacks {
  int lock_api_version;          /* EVTHREAD_LOCK_API_VERSION */
  unsigned supported_locktypes;  /* EVTHREAD_LOCKTYPE_* bits */
  void* (*alloc)(unsigned locktype);
  void (*free)(void* lock, unsigned locktype);
  int (*lock)(unsigned mode, void* lock);
  int (*unlock)(unsigned mode, void* lock);
};

/* Sets the lock functions, once: 0 on success, also when the same ones are
 * set again; -1 for incomplete callbacks or when others were set before.
 * NULL turns locking off (only safe before any lock was made). */
int evthread_set_lock_callbacks(const struct evthread_lock_callbacks* callbacks);

#define EVTHREAD_CONDITION_API_VERSION 1

/* Condition variables. signal_condition and wait_condition are called
 * with the lock held; wait_condition releases it while waiting and returns
 * 0 when signalled, 1 at the timeout (an interval; NULL: none), -1 on an
 * error. */
struct evthread_condition_callbacks {
  int condition_api_version; /* EVTHREAD_CONDITION_API_VERSION */
  void* (*alloc_condition)(unsigned condtype);
  void (*free_condition)(void* cond);
  int (*signal_condition)(void* cond, int broadcast);
  int (*wait_condition)(void* cond, void* lock, const struct timeval* timeout);
};

/* 0 on success, also for an incomplete set, which is ignored (libevent's
 * behaviour); -1 when others were set before. */
int evthread_set_condition_callbacks(const struct evthread_condition_callbacks* callbacks);

/* The function that names the calling thread (pthread_self with pthreads). */
void evthread_set_id_callback(unsigned long (*id_fn)(void));

#define EVTHREAD_USE_PTHREADS_IMPLEMENTED 1

/* Sets pthread-based lock, condition and thread-id functions, which
 * bufferevents made with BEV_OPT_THREADSAFE and evbuffers with
 * evbuffer_enable_locking() use. Other threads may call event_active(),
 * event_add(), event_del(), event_base_loopexit() and
 * event_base_loopbreak() on any base with or without it: eddy hands such
 * calls to the base's loop thread. Returns 0, even when other lock
 * functions were set before and stay (libevent's behaviour). */
int evthread_use_pthreads(void);

/* Every eddy base can be woken from another thread; returns 0. */
int evthread_make_base_notifiable(struct event_base* base);

/* Wraps the lock functions (call it after setting them, before making any
 * lock) with checks that abort on misuse: unlocking a lock this thread
 * does not hold, relocking a non-recursive one, freeing a held one. */
void evthread_enable_lock_debugging(void);
void evthread_enable_lock_debuging(void); /* libevent's old spelling */

#ifdef __cplusplus
}
#endif

#endif
