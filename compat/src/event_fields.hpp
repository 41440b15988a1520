#pragma once

// Named access to the members of struct event that eddy's compat layer
// keeps its state in. The layout is libevent 2.1's (event2/event_struct.h);
// these helpers say what each member means here.

#include <event2/event.h>
#include <event2/event_struct.h>

#include <cstdint>

namespace eddy::compat {

// How process_active() runs an event's callback (libevent's closure kinds).
enum Closure : std::uint8_t {
  kClosurePlain = 0,    // call once
  kClosureSignal = 1,   // call ev_ncalls times
  kClosurePersist = 2,  // re-arm the timeout, then call
  // A bare event_callback (libevent's deferred callbacks; not an event, no
  // EVLIST_INIT): call evcb_selfcb, or the finalizer in evcb_cbfinalize.
  kClosureCallbackSelf = 3,
  kClosureCallbackFinalize = 4,
  // event_finalize() / event_free_finalize(): call the finalizer (in
  // evcb_evfinalize) instead of the callback, then free the event or not.
  // libevent's numbers, as a program may look at evcb_closure.
  kClosureFinalize = 5,
  kClosureFinalizeFree = 6,
};

inline event_callback* as_callback(event* ev) noexcept { return &ev->ev_evcallback; }
// ev_evcallback is the first member of struct event.
inline event* as_event(event_callback* cb) noexcept { return reinterpret_cast<event*>(cb); }

// An event, not a bare event_callback: only events carry EVLIST_INIT, and
// only then may the members after ev_evcallback be read.
inline bool is_event(const event* ev) noexcept { return (ev->ev_evcallback.evcb_flags & EVLIST_INIT) != 0; }

// The next event in the active (or active-later) queue that `ev` is in.
inline event* next_queued(event* ev) noexcept {
  event_callback* next = ev->ev_evcallback.evcb_active_next.next;
  return next == nullptr ? nullptr : reinterpret_cast<event*>(next);
}

inline short& flags_of(event* ev) noexcept { return ev->ev_evcallback.evcb_flags; }
inline short flags_of(const event* ev) noexcept { return ev->ev_evcallback.evcb_flags; }
inline bool has_flag(const event* ev, int flag) noexcept { return (ev->ev_evcallback.evcb_flags & flag) != 0; }

// What event_del() has to undo: `ev` is in one of its base's structures,
// and not being finalized (a finalizing event stays queued for its
// finalizer, as in libevent).
inline bool needs_delete(const event* ev) noexcept {
  return has_flag(ev, EVLIST_INSERTED | EVLIST_TIMEOUT | EVLIST_ACTIVE | EVLIST_ACTIVE_LATER) &&
         !has_flag(ev, EVLIST_FINALIZING);
}
inline void set_flag(event* ev, int flag) noexcept {
  ev->ev_evcallback.evcb_flags = static_cast<short>(ev->ev_evcallback.evcb_flags | flag);
}
inline void clear_flag(event* ev, int flag) noexcept {
  ev->ev_evcallback.evcb_flags = static_cast<short>(ev->ev_evcallback.evcb_flags & ~flag);
}

inline int priority_of(const event* ev) noexcept { return ev->ev_evcallback.evcb_pri; }
inline std::uint8_t closure_of(const event* ev) noexcept { return ev->ev_evcallback.evcb_closure; }
inline event_callback_fn callback_of(const event* ev) noexcept { return ev->ev_evcallback.evcb_cb_union.evcb_callback; }
inline void* arg_of(const event* ev) noexcept { return ev->ev_evcallback.evcb_arg; }

// The relative timeout a persistent event re-arms with (ev_.ev_io).
inline timeval& persist_timeout(event* ev) noexcept { return ev->ev_.ev_io.ev_timeout; }

inline bool is_io(const event* ev) noexcept { return (ev->ev_events & (EV_READ | EV_WRITE | EV_CLOSED)) != 0; }

// event_pending()'s answer without the deadline: which of `events` `ev` is
// added for or active with. Inline for the bufferevents, which ask on every
// message.
inline int pending_events(const event* ev, short events) noexcept {
  int flags = 0;
  if (has_flag(ev, EVLIST_INSERTED)) {
    flags |= ev->ev_events & (EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL);
  }
  if (has_flag(ev, EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) {
    flags |= ev->ev_res;
  }
  if (has_flag(ev, EVLIST_TIMEOUT)) {
    flags |= EV_TIMEOUT;
  }
  return flags & events & (EV_TIMEOUT | EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL);
}
inline bool is_signal(const event* ev) noexcept { return (ev->ev_events & EV_SIGNAL) != 0; }

}  // namespace eddy::compat
