/* eddy's libevent-compatible API: the layout of struct event (libevent
 * 2.1's <event2/event_struct.h>).
 *
 * Programs allocate struct event themselves (on the stack, inside their own
 * structs, from malloc(sizeof(struct event))) and a few read its members
 * directly, so its size (128 bytes on x86-64) and the offsets of the members
 * below are those of libevent 2.1: a binary built against libevent runs on
 * eddy's drop-in library. eddy keeps all of an event's state in these
 * members, with the same meanings where libevent gives one. Do not write
 * them; read them only where old code already does. */
#ifndef EDDY_COMPAT_EVENT2_EVENT_STRUCT_H
#define EDDY_COMPAT_EVENT2_EVENT_STRUCT_H

#include <sys/time.h>

#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bits of ev_flags (ev_evcallback.evcb_flags): which of the base's
 * structures the event is in. */
#define EVLIST_TIMEOUT 0x01
#define EVLIST_INSERTED 0x02
#define EVLIST_SIGNAL 0x04
#define EVLIST_ACTIVE 0x08
#define EVLIST_INTERNAL 0x10
#define EVLIST_ACTIVE_LATER 0x20
#define EVLIST_FINALIZING 0x40
#define EVLIST_INIT 0x80
#define EVLIST_ALL 0xff

struct event;
struct event_base;

/* A doubly linked list entry: the next element and the address of the
 * pointer that points at this one. */
struct event_callback_link {
  struct event_callback* next;
  struct event_callback** prev_next;
};
struct event_link {
  struct event* next;
  struct event** prev_next;
};

struct event_callback {
  struct event_callback_link evcb_active_next; /* in the base's active queue */
  short evcb_flags;                            /* EVLIST_* */
  ev_uint8_t evcb_pri;                         /* 0 is the most urgent */
  ev_uint8_t evcb_closure;                     /* how the callback is run */
  union {
    void (*evcb_callback)(evutil_socket_t, short, void*);
    void (*evcb_selfcb)(struct event_callback*, void*);
    void (*evcb_evfinalize)(struct event*, void*);
    void (*evcb_cbfinalize)(struct event_callback*, void*);
  } evcb_cb_union;
  void* evcb_arg;
};

struct event {
  struct event_callback ev_evcallback;
  union {
    struct event_link ev_next_with_common_timeout;
    int min_heap_idx; /* position in the base's timeout heap */
  } ev_timeout_pos;
  evutil_socket_t ev_fd; /* fd, or signal number for EV_SIGNAL */
  struct event_base* ev_base;
  union {
    struct {
      struct event_link ev_io_next; /* among the events on ev_fd */
      struct timeval ev_timeout;    /* the relative timeout of a persistent event */
    } ev_io;
    struct {
      struct event_link ev_signal_next; /* among the events on the signal */
      short ev_ncalls;                  /* callbacks still owed */
      short* ev_pncalls;                /* the running count, so event_del can stop it */
    } ev_signal;
  } ev_;
  short ev_events;           /* EV_* asked for */
  short ev_res;              /* EV_* passed to the callback */
  struct timeval ev_timeout; /* when the timeout expires (monotonic clock) */
};

#ifdef __cplusplus
}
#endif

#endif
