// The C entry points of evbuffer's change callbacks (event2/buffer.h, and
// evbuffer_setcb from event2/buffer_compat.h).
#include "evbuffer.hpp"
#include "evlock.hpp"
#include "mem.hpp"

namespace {

// The program's flags are kept as given (only EVBUFFER_CB_ENABLED means
// anything); the high 16 bits are libevent's own and cannot be set.
constexpr ev_uint32_t kInternalFlags = 0xffff0000;

}  // namespace

extern "C" {

struct evbuffer_cb_entry* evbuffer_add_cb(struct evbuffer* buffer, evbuffer_cb_func cb, void* cbarg) {
  const eddy::compat::LockHeld held(buffer->lock);
  auto* entry =
      eddy::compat::mem_new<evbuffer_cb_entry>(buffer->callbacks, cb, nullptr, cbarg, ev_uint32_t{EVBUFFER_CB_ENABLED});
  if (entry != nullptr) {
    buffer->callbacks = entry;
  }
  return entry;
}

int evbuffer_remove_cb_entry(struct evbuffer* buffer, struct evbuffer_cb_entry* ent) {
  const eddy::compat::LockHeld held(buffer->lock);
  for (evbuffer_cb_entry** link = &buffer->callbacks; *link != nullptr; link = &(*link)->next) {
    if (*link == ent) {
      *link = ent->next;
      eddy::compat::mem_delete(ent);
      return 0;
    }
  }
  return -1;
}

int evbuffer_remove_cb(struct evbuffer* buffer, evbuffer_cb_func cb, void* cbarg) {
  const eddy::compat::LockHeld held(buffer->lock);
  for (evbuffer_cb_entry* entry = buffer->callbacks; entry != nullptr; entry = entry->next) {
    if (entry->callback == cb && entry->arg == cbarg) {
      return evbuffer_remove_cb_entry(buffer, entry);
    }
  }
  return -1;
}

int evbuffer_cb_set_flags(struct evbuffer* buffer, struct evbuffer_cb_entry* cb, ev_uint32_t flags) {
  const eddy::compat::LockHeld held(buffer->lock);
  cb->flags |= flags & ~kInternalFlags;
  return 0;
}

int evbuffer_cb_clear_flags(struct evbuffer* buffer, struct evbuffer_cb_entry* cb, ev_uint32_t flags) {
  const eddy::compat::LockHeld held(buffer->lock);
  cb->flags &= ~(flags & ~kInternalFlags);
  return 0;
}

// Suspension only delays callbacks in libevent; here they are not
// suspended (their counts accumulate the same).
void evbuffer_cb_suspend(struct evbuffer*, struct evbuffer_cb_entry*) {}
void evbuffer_cb_unsuspend(struct evbuffer*, struct evbuffer_cb_entry*) {}

int evbuffer_setcb(struct evbuffer* buffer, evbuffer_cb cb, void* cbarg) {
  const eddy::compat::LockHeld held(buffer->lock);
  while (evbuffer_cb_entry* entry = buffer->callbacks) {
    buffer->callbacks = entry->next;
    eddy::compat::mem_delete(entry);
  }
  if (cb != nullptr) {
    auto* entry =
        eddy::compat::mem_new<evbuffer_cb_entry>(nullptr, nullptr, cb, cbarg, ev_uint32_t{EVBUFFER_CB_ENABLED});
    if (entry == nullptr) {
      return -1;
    }
    buffer->callbacks = entry;
  }
  return 0;
}

int evbuffer_defer_callbacks(struct evbuffer* buffer, struct event_base* base) {
  const eddy::compat::LockHeld held(buffer->lock);
  if (buffer->deferred_cbs) {
    event_del(buffer->deferred_event);
  } else if (buffer->deferred_event == nullptr) {
    buffer->deferred_event = eddy::compat::mem_new<event>();
    if (buffer->deferred_event == nullptr) {
      return -1;
    }
  }
  event_assign(
      buffer->deferred_event, base, -1, 0,
      [](evutil_socket_t, short, void* arg) {
        auto* buf = static_cast<evbuffer*>(arg);
        const eddy::compat::LockHeld held_now(buf->lock);
        buf->run_callbacks();
      },
      buffer);
  buffer->deferred_cbs = 1;
  buffer->cb_queue = base;
  return 0;
}

}  // extern "C"
