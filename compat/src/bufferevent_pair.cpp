// Pairs: two bufferevents joined in the process, what one writes the other
// reads (libevent 2.1's bufferevent_pair). Their callbacks are always
// deferred, as libevent's are, so that one end's callback never runs
// inside the other end's call.
#include "bufferevent.hpp"

#include <new>

namespace {

bool wants_to_talk(const BufferEvent& src, const BufferEvent& dst) noexcept {
  return (src.bev.enabled & EV_WRITE) != 0 && (dst.bev.enabled & EV_READ) != 0 && dst.read_suspended == 0 &&
         src.write_suspended == 0 && src.output_buffer.size() != 0;
}

// Moves src's output to dst's input, up to dst's high read mark unless
// told to ignore it, then runs the read and write callbacks that are due.
void transfer(BufferEvent& src, BufferEvent& dst, bool ignore_watermark) {
  evbuffer_unfreeze(&src.output_buffer, 1);
  evbuffer_unfreeze(&dst.input_buffer, 0);
  const std::size_t high = dst.bev.wm_read.high;
  const std::size_t have = dst.input_buffer.size();
  bool moved = true;
  std::size_t n = 0;
  if (high != 0 && have < high) {
    n = high - have;
    evbuffer_remove_buffer(&src.output_buffer, &dst.input_buffer, n);
  } else if (high == 0 || ignore_watermark) {
    n = src.output_buffer.size();
    evbuffer_add_buffer(&dst.input_buffer, &src.output_buffer);
  } else {
    moved = false;
  }
  if (n != 0) {
    // As libevent: a transfer pushes back the reader's timeouts (its write
    // timeout too, odd as that is); the writer's stays as it was.
    dst.reset_read_timeout();
    if (dst.output_buffer.size() != 0) {
      dst.reset_write_timeout();
    } else {
      dst.del_event(&dst.bev.ev_write);
    }
  }
  if (moved) {
    dst.trigger_read(0);
    src.trigger_write(0);
  }
  evbuffer_freeze(&src.output_buffer, 1);
  evbuffer_freeze(&dst.input_buffer, 0);
}

void on_output_changed(evbuffer*, const evbuffer_cb_info* info, void* arg) {
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  const BufferEventHold hold(b);
  if (!hold.alive()) {
    return;
  }
  if (info->n_added > info->n_deleted && b.partner != nullptr && wants_to_talk(b, *b.partner)) {
    transfer(b, *b.partner, false);
  }
}

int pair_enable(BufferEvent& b, short events) {
  const BufferEventHold hold(b);
  if ((events & EV_READ) != 0) {
    b.reset_read_timeout();
  }
  if ((events & EV_WRITE) != 0 && b.output_buffer.size() != 0) {
    b.reset_write_timeout();
  }
  if (b.partner == nullptr) {
    return 0;
  }
  if ((events & EV_READ) != 0 && wants_to_talk(*b.partner, b)) {
    transfer(*b.partner, b, false);
  }
  if ((events & EV_WRITE) != 0 && b.partner != nullptr && wants_to_talk(b, *b.partner)) {
    transfer(b, *b.partner, false);
  }
  return 0;
}

int pair_disable(BufferEvent& b, short events) {
  if ((events & EV_READ) != 0) {
    b.del_event(&b.bev.ev_read);
  }
  if ((events & EV_WRITE) != 0) {
    b.del_event(&b.bev.ev_write);
  }
  return 0;
}

void pair_destruct(BufferEvent& b) {
  b.del_generic_timeouts();
  if (b.partner != nullptr) {
    b.partner->partner = nullptr;
    b.partner = nullptr;
  }
}

int pair_flush(BufferEvent& b, short iotype, bufferevent_flush_mode mode) {
  if (mode == BEV_NORMAL) {
    return 0;
  }
  const BufferEventHold hold(b);
  if (b.partner == nullptr) {
    return 0;
  }
  BufferEvent& partner = *b.partner;
  if ((iotype & EV_WRITE) != 0) {
    transfer(b, partner, true);
  }
  if ((iotype & EV_READ) != 0) {
    transfer(partner, b, true);
  }
  if (mode == BEV_FINISHED) {
    // Told from the partner's side: our writing side is its reading side.
    short what = BEV_EVENT_EOF;
    if ((iotype & EV_WRITE) != 0) {
      what |= BEV_EVENT_READING;
    }
    if ((iotype & EV_READ) != 0) {
      what |= BEV_EVENT_WRITING;
    }
    partner.run_eventcb(what, 0);
  }
  return 0;
}

void pair_adjust_timeouts(BufferEvent& b) { b.adjust_generic_timeouts(); }

BufferEvent* new_end(event_base* base, int options) {
  auto* b = new (std::nothrow) BufferEvent(base, pair_bufferevent_ops, options | BEV_OPT_DEFER_CALLBACKS);
  if (b == nullptr) {
    return nullptr;
  }
  if (!b->make_deferred()) {
    delete b;
    return nullptr;
  }
  b->init_generic_timeouts();
  evbuffer_cb_entry* watch_output = evbuffer_add_cb(&b->output_buffer, on_output_changed, b);
  if (watch_output == nullptr) {
    delete b;
    return nullptr;
  }
  watch_output->additions_only = true;
  evbuffer_freeze(&b->input_buffer, 0);
  evbuffer_freeze(&b->output_buffer, 1);
  return b;
}

}  // namespace

const bufferevent_ops pair_bufferevent_ops = {"pair", pair_enable, pair_disable, pair_destruct, pair_flush,
                                              pair_adjust_timeouts};

extern "C" {

int bufferevent_pair_new(struct event_base* base, int options, struct bufferevent* pair[2]) {
  BufferEvent* first = new_end(base, options);
  BufferEvent* second = first != nullptr ? new_end(base, options) : nullptr;
  // Threads: one lock for both ends, since a write to one moves bytes into
  // the other.
  if (second == nullptr || ((options & BEV_OPT_THREADSAFE) != 0 &&
                            (first->enable_locking(nullptr) != 0 || second->enable_locking(first->lock_owner) != 0))) {
    delete first;
    delete second;
    return -1;
  }
  first->partner = second;
  second->partner = first;
  pair[0] = &first->bev;
  pair[1] = &second->bev;
  return 0;
}

struct bufferevent* bufferevent_pair_get_partner(struct bufferevent* bev) {
  BufferEvent& b = BufferEvent::of(bev);
  const eddy::compat::LockHeld held(b.lock);
  return bev->be_ops == &pair_bufferevent_ops && b.partner != nullptr ? &b.partner->bev : nullptr;
}

}  // extern "C"
