/* eddy's libevent-compatible API: threading set-up (libevent 2.1's
 * <event2/thread.h>). A base belongs to the thread that runs its loop;
 * docs/compat.md says what crosses threads. */
#ifndef EDDY_COMPAT_EVENT2_THREAD_H
#define EDDY_COMPAT_EVENT2_THREAD_H

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

#define EVTHREAD_USE_PTHREADS_IMPLEMENTED 1

/* Turns on the locking that lets other threads call event_active(),
 * event_base_loopexit() and event_base_loopbreak() on a base, waking its
 * loop. Returns 0. */
int evthread_use_pthreads(void);
/* Makes the base wakeable from other threads; every eddy base already is.
 * Returns 0. */
int evthread_make_base_notifiable(struct event_base* base);
void evthread_enable_lock_debugging(void);
#define evthread_enable_lock_debuging() evthread_enable_lock_debugging()

#ifdef __cplusplus
}
#endif

#endif
