// libevent's deferred callbacks: a bare struct event_callback that runs
// from a base's active queues without being an event. They are internal
// to libevent (defer-internal.h, event-internal.h), but exported by it and
// called by code built with its private headers, such as its regression
// tests (finalize/cb_invoked); eddy's bufferevents do not use them.
#include "event_base.hpp"

#include <event2/event.h>
#include <event2/event_struct.h>

#include <cstring>

using namespace eddy::compat;

extern "C" {

typedef void (*deferred_cb_fn)(struct event_callback*, void*);

void event_deferred_cb_init_(struct event_callback* cb, ev_uint8_t priority, deferred_cb_fn fn, void* arg);
void event_deferred_cb_set_priority_(struct event_callback* cb, ev_uint8_t priority);
void event_deferred_cb_cancel_(struct event_base* base, struct event_callback* cb);
int event_deferred_cb_schedule_(struct event_base* base, struct event_callback* cb);
int event_callback_activate_(struct event_base* base, struct event_callback* cb);
int event_callback_cancel_(struct event_base* base, struct event_callback* cb);
void event_callback_init_(struct event_base* base, struct event_callback* cb);
int event_callback_finalize_(struct event_base* base, unsigned flags, struct event_callback* cb,
                             void (*fn)(struct event_callback*, void*));
int event_callback_finalize_many_(struct event_base* base, int n_cbs, struct event_callback** cbs,
                                  void (*fn)(struct event_callback*, void*));

void event_deferred_cb_init_(struct event_callback* cb, ev_uint8_t priority, deferred_cb_fn fn, void* arg) {
  std::memset(cb, 0, sizeof *cb);
  cb->evcb_cb_union.evcb_selfcb = fn;
  cb->evcb_arg = arg;
  cb->evcb_pri = priority;
  cb->evcb_closure = kClosureCallbackSelf;
}

void event_deferred_cb_set_priority_(struct event_callback* cb, ev_uint8_t priority) { cb->evcb_pri = priority; }

void event_deferred_cb_cancel_(struct event_base* base, struct event_callback* cb) {
  base->on_loop_thread([&] { base->cancel_callback(cb); });
}

// Deferred callbacks run in the next iteration, so that one that schedules
// itself again cannot keep the loop from polling.
int event_deferred_cb_schedule_(struct event_base* base, struct event_callback* cb) {
  return base->on_loop_thread([&] { return base->activate_callback(cb, true) ? 1 : 0; });
}

int event_callback_activate_(struct event_base* base, struct event_callback* cb) {
  return base->on_loop_thread([&] { return base->activate_callback(cb, false) ? 1 : 0; });
}

int event_callback_cancel_(struct event_base* base, struct event_callback* cb) {
  return base->on_loop_thread([&] { return base->cancel_callback(cb) ? 1 : 0; });
}

void event_callback_init_(struct event_base* base, struct event_callback* cb) {
  std::memset(cb, 0, sizeof *cb);
  cb->evcb_pri = static_cast<ev_uint8_t>(base->active.priorities() / 2);
}

int event_callback_finalize_(struct event_base* base, unsigned, struct event_callback* cb,
                             void (*fn)(struct event_callback*, void*)) {
  base->on_loop_thread([&] { base->finalize_callback(cb, fn); });
  return 0;
}

int event_callback_finalize_many_(struct event_base* base, int n_cbs, struct event_callback** cbs,
                                  void (*fn)(struct event_callback*, void*)) {
  base->on_loop_thread([&] {
    for (int i = 0; i < n_cbs; ++i) {
      base->finalize_callback(cbs[i], fn);
    }
  });
  return 0;
}

}  // extern "C"
