// Finalizers (event_finalize, event_free_finalize) and the bare
// event_callbacks of libevent's deferred callbacks, which share the active
// queues with events: a queued entry without EVLIST_INIT is such a
// callback, and only its event_callback members are read.
#include "event_base.hpp"

#include "mem.hpp"

using namespace eddy::compat;

void event_base::finalize(event* ev, event_finalize_callback_fn finalizer, bool free_after) noexcept {
  ev->ev_evcallback.evcb_closure = free_after ? kClosureFinalizeFree : kClosureFinalize;
  ev->ev_evcallback.evcb_cb_union.evcb_evfinalize = finalizer;
  if (has_flag(ev, EVLIST_FINALIZING)) {
    return;  // already queued: it runs once, with the latest finalizer
  }
  del(ev);
  activate(ev, EV_FINALIZE, 1);
  set_flag(ev, EVLIST_FINALIZING);
}

void event_base::run_finalizer(event* ev) noexcept {
  if (closure_of(ev) == kClosureCallbackFinalize) {
    ev->ev_evcallback.evcb_cb_union.evcb_cbfinalize(as_callback(ev), arg_of(ev));
    return;
  }
  const bool free_after = closure_of(ev) == kClosureFinalizeFree;
  ev->ev_evcallback.evcb_cb_union.evcb_evfinalize(ev, arg_of(ev));
  if (free_after) {
    mem_free(ev);
  }
}

void event_base::drop_queued(event* ev) noexcept {
  if (is_event(ev)) {
    del(ev);
  } else {
    cancel_callback(as_callback(ev));
  }
  if (has_flag(ev, EVLIST_FINALIZING) && run_finalizers_on_free) {
    run_finalizer(ev);  // as libevent's event_base_free() does
  }
}

bool event_base::activate_callback(event_callback* cb, bool next_iteration) noexcept {
  event* ev = as_event(cb);
  if (has_flag(ev, EVLIST_FINALIZING)) {
    return false;
  }
  if (has_flag(ev, EVLIST_ACTIVE) || (next_iteration && has_flag(ev, EVLIST_ACTIVE_LATER))) {
    return false;
  }
  if (has_flag(ev, EVLIST_ACTIVE_LATER)) {
    later.remove(ev);
    count_out(ev, EVLIST_ACTIVE_LATER);
  }
  if (next_iteration) {
    later.push_back(ev);
    count_in(ev, EVLIST_ACTIVE_LATER);
    return true;
  }
  if (priority_of(ev) < running_priority) {
    continue_requested = true;
  }
  active.push_back(ev);
  count_in(ev, EVLIST_ACTIVE);
  if (active.size() > active_count_max) {
    active_count_max = active.size();
  }
  return true;
}

bool event_base::cancel_callback(event_callback* cb) noexcept {
  event* ev = as_event(cb);
  if (has_flag(ev, EVLIST_ACTIVE)) {
    remove_active(ev);
    return true;
  }
  if (has_flag(ev, EVLIST_ACTIVE_LATER)) {
    later.remove(ev);
    count_out(ev, EVLIST_ACTIVE_LATER);
    return true;
  }
  return false;
}

void event_base::finalize_callback(event_callback* cb, void (*finalizer)(event_callback*, void*)) noexcept {
  if (is_event(as_event(cb))) {
    // An event's callback: finalized as the event, without freeing it.
    event* ev = as_event(cb);
    del(ev);
  } else {
    cancel_callback(cb);
  }
  cb->evcb_closure = kClosureCallbackFinalize;
  cb->evcb_cb_union.evcb_cbfinalize = finalizer;
  clear_flag(as_event(cb), EVLIST_FINALIZING);
  activate_callback(cb, false);
  set_flag(as_event(cb), EVLIST_FINALIZING);
}
