// The C entry points that act on one event.
#include "current_base.hpp"
#include "event_base.hpp"
#include "log.hpp"
#include "mem.hpp"

#include <cstddef>
#include <cstdlib>
#include <new>

using namespace eddy::compat;

// Binaries built against libevent 2.1 allocate struct event by its size and
// read these members at these offsets (x86-64).
#if defined(__x86_64__)
static_assert(sizeof(struct event) == 128);
static_assert(offsetof(struct event, ev_evcallback.evcb_flags) == 16);
static_assert(offsetof(struct event, ev_evcallback.evcb_pri) == 18);
static_assert(offsetof(struct event, ev_evcallback.evcb_closure) == 19);
static_assert(offsetof(struct event, ev_evcallback.evcb_cb_union) == 24);
static_assert(offsetof(struct event, ev_evcallback.evcb_arg) == 32);
static_assert(offsetof(struct event, ev_timeout_pos) == 40);
static_assert(offsetof(struct event, ev_fd) == 56);
static_assert(offsetof(struct event, ev_base) == 64);
static_assert(offsetof(struct event, ev_) == 72);
static_assert(offsetof(struct event, ev_events) == 104);
static_assert(offsetof(struct event, ev_res) == 106);
static_assert(offsetof(struct event, ev_timeout) == 112);
#endif

namespace {

// event_self_cbarg() returns this object's address; event_assign()
// replaces it with the event being assigned.
void* self_cbarg_marker = nullptr;

// event_del's work, on the loop's thread (waiting for it or not), once
// in_no_structure() has said there is some. Out of line: inlined, its
// queueing would give every call of delete_event() a frame.
[[gnu::noinline]] int delete_from_structures(event* ev, bool wait) {
  event_base* base = ev->ev_base;
  const auto del = [base, ev] { return base->del_if_added(ev); };
  return wait ? base->on_loop_thread(del) : base->on_loop_thread_nowait(del);
}

// event_del, waiting for the loop's thread when another runs it, or not.
// A bufferevent deletes its write event after every write that emptied its
// output, which mostly finds nothing to do.
int delete_event(event* ev, bool wait) {
  if (ev->ev_base == nullptr) {
    return -1;
  }
  if (in_no_structure(ev)) {
    return 0;
  }
  return delete_from_structures(ev, wait);
}

}  // namespace

extern "C" {

void* event_self_cbarg(void) { return &self_cbarg_marker; }

int event_assign(struct event* ev, struct event_base* base, evutil_socket_t fd, short events,
                 event_callback_fn callback, void* arg) {
  if (arg == &self_cbarg_marker) {
    arg = ev;
  }
  if (base == nullptr) {
    base = current_base;  // as libevent: events without a base join the current one
  }
  if ((events & EV_SIGNAL) != 0 && (events & (EV_READ | EV_WRITE | EV_CLOSED)) != 0) {
    EDDY_COMPAT_WARN("EV_SIGNAL is not compatible with EV_READ, EV_WRITE or EV_CLOSED");
    return -1;
  }
  // The struct may be fresh from malloc: every member is written, none read.
  ev->ev_base = base;
  ev->ev_evcallback.evcb_cb_union.evcb_callback = callback;
  ev->ev_evcallback.evcb_arg = arg;
  ev->ev_fd = fd;
  ev->ev_events = events;
  ev->ev_res = 0;
  ev->ev_evcallback.evcb_flags = EVLIST_INIT;
  ev->ev_evcallback.evcb_active_next = {nullptr, nullptr};
  ev->ev_timeout_pos.min_heap_idx = -1;
  ev->ev_timeout = {0, 0};
  if ((events & EV_SIGNAL) != 0) {
    ev->ev_evcallback.evcb_closure = kClosureSignal;
    ev->ev_.ev_signal.ev_signal_next = {nullptr, nullptr};
    ev->ev_.ev_signal.ev_ncalls = 0;
    ev->ev_.ev_signal.ev_pncalls = nullptr;
  } else {
    ev->ev_evcallback.evcb_closure = (events & EV_PERSIST) != 0 ? kClosurePersist : kClosurePlain;
    ev->ev_.ev_io.ev_io_next = {nullptr, nullptr};
    ev->ev_.ev_io.ev_timeout = {0, 0};
  }
  // New events go in the middle priority, as in libevent.
  ev->ev_evcallback.evcb_pri = static_cast<ev_uint8_t>(base != nullptr ? base->active.priorities() / 2 : 0);
  return 0;
}

struct event* event_new(struct event_base* base, evutil_socket_t fd, short events, event_callback_fn callback,
                        void* arg) {
  auto* ev = static_cast<struct event*>(mem_malloc(sizeof(struct event)));
  if (ev == nullptr) {
    return nullptr;
  }
  if (event_assign(ev, base, fd, events, callback, arg) != 0) {
    mem_free(ev);
    return nullptr;
  }
  return ev;
}

void event_free(struct event* ev) {
  if (ev == nullptr) {
    return;
  }
  event_del(ev);
  mem_free(ev);
}

void event_set(struct event* ev, evutil_socket_t fd, short events, void (*callback)(evutil_socket_t, short, void*),
               void* arg) {
  event_assign(ev, current_base, fd, events, callback, arg);
}

int event_base_set(struct event_base* base, struct event* ev) {
  // Only an event that is in no base's structures may move.
  if (base == nullptr || ev->ev_evcallback.evcb_flags != EVLIST_INIT) {
    return -1;
  }
  ev->ev_base = base;
  ev->ev_evcallback.evcb_pri = static_cast<ev_uint8_t>(base->active.priorities() / 2);
  return 0;
}

int event_add(struct event* ev, const struct timeval* timeout) {
  event_base* base = ev->ev_base;
  if (base == nullptr) {
    EDDY_COMPAT_WARN("event_add: event has no event_base set.");
    return -1;
  }
  // From another thread the add is queued for the loop, as libevent adds
  // without waiting for it; a failure there is logged.
  const bool timed = timeout != nullptr;
  const timeval duration = timed ? *timeout : timeval{};
  return base->on_loop_thread_nowait([base, ev, timed, duration]() -> int {
    try {
      return base->add(ev, timed ? &duration : nullptr, false);
    } catch (const std::bad_alloc&) {
      EDDY_COMPAT_WARN("event_add: out of memory");
      return -1;
    }
  });
}

int event_del(struct event* ev) { return delete_event(ev, true); }

// libevent's event_del_noblock() does not wait for a callback of the event
// that runs on the loop's thread; here it does not wait for the loop at
// all.
int event_del_noblock(struct event* ev) { return delete_event(ev, false); }

int event_del_block(struct event* ev) { return event_del(ev); }

int event_remove_timer(struct event* ev) {
  event_base* base = ev->ev_base;
  if (base == nullptr) {
    return -1;
  }
  return base->on_loop_thread([&] { return base->remove_timer(ev); });
}

void event_active(struct event* ev, int res, short ncalls) {
  event_base* base = ev->ev_base;
  if (base == nullptr) {
    EDDY_COMPAT_WARN("event_active: event has no event_base set.");
    return;
  }
  base->on_loop_thread_nowait([base, ev, res, ncalls] {
    base->activate(ev, res, ncalls);
    return 0;
  });
}

// libevent's internal "activate in the next iteration" (the active-later
// queue that deferred callbacks use), exported by libevent and called by
// code built with its private headers, such as its regression tests.
void event_active_later_(struct event* ev, int res) {
  event_base* base = ev->ev_base;
  if (base == nullptr) {
    return;
  }
  base->on_loop_thread_nowait([base, ev, res] {
    base->activate_later(ev, res);
    return 0;
  });
}

int event_pending(const struct event* ev, short events, struct timeval* tv) {
  const int pending = pending_events(ev, events);
  if (tv != nullptr && (pending & EV_TIMEOUT) != 0) {
    // Deadlines are kept on the monotonic clock; report a date.
    const timeval offset = ev->ev_base->clock_offset();
    timeradd(&ev->ev_timeout, &offset, tv);
  }
  return pending;
}

int event_initialized(const struct event* ev) { return has_flag(ev, EVLIST_INIT) ? 1 : 0; }

int event_priority_set(struct event* ev, int priority) {
  if (has_flag(ev, EVLIST_ACTIVE) || ev->ev_base == nullptr) {
    return -1;
  }
  if (priority < 0 || priority >= ev->ev_base->active.priorities()) {
    return -1;
  }
  ev->ev_evcallback.evcb_pri = static_cast<ev_uint8_t>(priority);
  return 0;
}

evutil_socket_t event_get_fd(const struct event* ev) { return ev->ev_fd; }
struct event_base* event_get_base(const struct event* ev) { return ev->ev_base; }
short event_get_events(const struct event* ev) { return ev->ev_events; }
event_callback_fn event_get_callback(const struct event* ev) { return callback_of(ev); }
void* event_get_callback_arg(const struct event* ev) { return arg_of(ev); }
int event_get_priority(const struct event* ev) { return priority_of(ev); }
size_t event_get_struct_event_size(void) { return sizeof(struct event); }

void event_get_assignment(const struct event* ev, struct event_base** base_out, evutil_socket_t* fd_out,
                          short* events_out, event_callback_fn* callback_out, void** arg_out) {
  if (base_out != nullptr) {
    *base_out = ev->ev_base;
  }
  if (fd_out != nullptr) {
    *fd_out = ev->ev_fd;
  }
  if (events_out != nullptr) {
    *events_out = ev->ev_events;
  }
  if (callback_out != nullptr) {
    *callback_out = callback_of(ev);
  }
  if (arg_out != nullptr) {
    *arg_out = arg_of(ev);
  }
}

// Finalizers exist in libevent for events deleted while another thread may
// be running their callback; the finalizer runs from the loop, after that
// callback, at the event's priority.
int event_finalize(unsigned, struct event* ev, event_finalize_callback_fn callback) {
  event_base* base = ev->ev_base;
  if (base == nullptr) {
    EDDY_COMPAT_WARN("event_finalize: event has no event_base set.");
    return -1;
  }
  base->on_loop_thread([&] { base->finalize(ev, callback, false); });
  return 0;
}

int event_free_finalize(unsigned, struct event* ev, event_finalize_callback_fn callback) {
  event_base* base = ev->ev_base;
  if (base == nullptr) {
    EDDY_COMPAT_WARN("event_free_finalize: event has no event_base set.");
    return -1;
  }
  base->on_loop_thread([&] { base->finalize(ev, callback, true); });
  return 0;
}

}  // extern "C"
