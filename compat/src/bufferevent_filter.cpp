// Filters: libevent 2.1's bufferevent_filter, a bufferevent on top of
// another (the underlying) that passes each way's data through a function.
//
//   program --write--> filter.output --output filter--> underlying.output
//   program <--read--- filter.input  <--input filter--- underlying.input
//
// The filter takes over the underlying's callbacks: its read callback runs
// the input filter, its write callback (the underlying drained) runs the
// output filter, and its events are passed on as the filter's own. Data
// added to the filter's output runs the output filter at once. The
// underlying reads only while the filter does (kSuspendFilterRead).
// Timeouts are the generic ones (bufferevent_timeouts.cpp).
//
// One difference from libevent: a filter that returns BEV_OK without
// taking anything from src is not called again in the same pass (libevent
// would call it forever).
#include "bufferevent.hpp"

#include "log.hpp"

#include <new>

struct FilterState {
  BufferEvent* underlying;
  bufferevent_filter_cb process_in;
  bufferevent_filter_cb process_out;
  void (*free_context)(void*);
  void* context;
  // On the filter's input, enabled only while the input is at its high
  // read mark with data left behind in the underlying's input: draining
  // the input then runs the input filter again, or that data would stay.
  evbuffer_cb_entry* inbuf_cb = nullptr;
  // On the filter's output, off while the output filter runs (so that a
  // filter writing to its own bufferevent does not recurse).
  evbuffer_cb_entry* outbuf_cb = nullptr;
};

namespace {

bufferevent_filter_result pass_through(evbuffer* src, evbuffer* dst, ev_ssize_t limit, bufferevent_flush_mode, void*) {
  return evbuffer_remove_buffer(src, dst, static_cast<std::size_t>(limit)) >= 0 ? BEV_OK : BEV_ERROR;
}

// Only BEV_NORMAL respects watermarks; flushing pushes data regardless.
bool input_full(const BufferEvent& b, bufferevent_flush_mode mode) {
  return mode == BEV_NORMAL && b.bev.wm_read.high != 0 && b.input_buffer.size() >= b.bev.wm_read.high;
}

bool underlying_output_full(const BufferEvent& b, bufferevent_flush_mode mode) {
  const BufferEvent& u = *b.filter->underlying;
  return mode == BEV_NORMAL && u.bev.wm_write.high != 0 && u.output_buffer.size() >= u.bev.wm_write.high;
}

// Runs the input filter while it takes data and there is room; `processed`
// is set when any call returned BEV_OK.
bufferevent_filter_result process_input(BufferEvent& b, bufferevent_flush_mode mode, bool& processed) {
  FilterState& f = *b.filter;
  if (mode == BEV_NORMAL && ((b.bev.enabled & EV_READ) == 0 || input_full(b, mode))) {
    return BEV_OK;
  }
  evbuffer* src = &f.underlying->input_buffer;
  bufferevent_filter_result res = BEV_OK;
  bool progress = false;
  do {
    ev_ssize_t limit = -1;
    if (mode == BEV_NORMAL && b.bev.wm_read.high != 0) {
      limit = static_cast<ev_ssize_t>(b.bev.wm_read.high - b.input_buffer.size());
    }
    const std::size_t before = src->size();
    res = f.process_in(src, &b.input_buffer, limit, mode, f.context);
    processed = processed || res == BEV_OK;
    progress = src->size() != before;
  } while (res == BEV_OK && progress && (b.bev.enabled & EV_READ) != 0 && src->size() != 0 && !input_full(b, mode));
  if (processed) {
    b.reset_read_timeout();
  }
  return res;
}

bool more_to_write(const BufferEvent& b, bufferevent_flush_mode mode) {
  return (b.bev.enabled & EV_WRITE) != 0 && b.output_buffer.size() != 0 && !underlying_output_full(b, mode);
}

// Runs the output filter while it takes data and the underlying has room,
// then the write callback; again if that callback wrote more.
bufferevent_filter_result process_output(BufferEvent& b, bufferevent_flush_mode mode, bool& processed) {
  FilterState& f = *b.filter;
  if (mode == BEV_NORMAL && !more_to_write(b, mode)) {
    return BEV_OK;
  }
  evbuffer_cb_clear_flags(&b.output_buffer, f.outbuf_cb, EVBUFFER_CB_ENABLED);
  evbuffer* dst = &f.underlying->output_buffer;
  bufferevent_filter_result res = BEV_OK;
  bool again = false;
  do {
    bool this_round = false;
    bool progress = false;
    do {
      ev_ssize_t limit = -1;
      const std::size_t high = f.underlying->bev.wm_write.high;
      if (mode == BEV_NORMAL && high != 0) {
        limit = static_cast<ev_ssize_t>(high - dst->size());
      }
      const std::size_t before = b.output_buffer.size();
      res = f.process_out(&b.output_buffer, dst, limit, mode, f.context);
      this_round = this_round || res == BEV_OK;
      progress = b.output_buffer.size() != before;
    } while (res == BEV_OK && progress && more_to_write(b, mode));
    processed = processed || this_round;
    again = false;
    if (this_round) {
      b.trigger_write(0);
      again = res == BEV_OK && progress && more_to_write(b, mode);
    }
  } while (again);
  evbuffer_cb_set_flags(&b.output_buffer, f.outbuf_cb, EVBUFFER_CB_ENABLED);
  if (processed) {
    b.reset_write_timeout();
  }
  return res;
}

void read_from_underlying(BufferEvent& b) {
  bool processed = false;
  process_input(b, BEV_NORMAL, processed);
  if (processed) {
    b.trigger_read(0);
    if (b.filter->underlying->input_buffer.size() != 0 && input_full(b, BEV_NORMAL)) {
      evbuffer_cb_set_flags(&b.input_buffer, b.filter->inbuf_cb, EVBUFFER_CB_ENABLED);
    }
  }
}

void on_input_drained(evbuffer*, const evbuffer_cb_info*, void* arg) {
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  const BufferEventHold hold(b);
  if (!hold.alive()) {
    return;
  }
  if (!input_full(b, BEV_NORMAL)) {
    evbuffer_cb_clear_flags(&b.input_buffer, b.filter->inbuf_cb, EVBUFFER_CB_ENABLED);
    if (b.filter->underlying->input_buffer.size() != 0) {
      read_from_underlying(b);
    }
  }
}

void on_output_added(evbuffer*, const evbuffer_cb_info* info, void* arg) {
  if (info->n_added == 0) {
    return;
  }
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  const BufferEventHold hold(b);
  if (!hold.alive()) {
    return;
  }
  bool processed = false;
  process_output(b, BEV_NORMAL, processed);
}

void on_underlying_read(bufferevent*, void* arg) {
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  const BufferEventHold hold(b);
  if (!hold.alive()) {
    return;
  }
  read_from_underlying(b);
}

void on_underlying_write(bufferevent*, void* arg) {
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  const BufferEventHold hold(b);
  if (!hold.alive()) {
    return;
  }
  bool processed = false;
  process_output(b, BEV_NORMAL, processed);
}

void on_underlying_event(bufferevent*, short what, void* arg) {
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  const BufferEventHold hold(b);
  if (!hold.alive()) {
    return;
  }
  b.run_eventcb(what, 0);
}

int filter_enable(BufferEvent& b, short events) {
  if ((events & EV_WRITE) != 0) {
    b.reset_write_timeout();
  }
  if ((events & EV_READ) != 0) {
    b.reset_read_timeout();
    b.filter->underlying->unsuspend_read(BufferEvent::kSuspendFilterRead);
  }
  return 0;
}

int filter_disable(BufferEvent& b, short events) {
  if ((events & EV_WRITE) != 0) {
    b.del_event(&b.bev.ev_write);
  }
  if ((events & EV_READ) != 0) {
    b.del_event(&b.bev.ev_read);
    b.filter->underlying->suspend_read(BufferEvent::kSuspendFilterRead);
  }
  return 0;
}

void filter_destruct(BufferEvent& b) {
  FilterState* f = b.filter;
  BufferEvent& u = *f->underlying;
  b.del_generic_timeouts();
  if ((b.options & BEV_OPT_CLOSE_ON_FREE) != 0) {
    // One reference is the filter's own (dropped below); the program's
    // must still be there for the filter to free.
    if (u.refs < 2) {
      EDDY_COMPAT_WARN("BEV_OPT_CLOSE_ON_FREE set on a bufferevent with too few references");
    } else {
      bufferevent_free(&u.bev);
    }
  } else {
    if (u.bev.errorcb == on_underlying_event) {
      bufferevent_setcb(&u.bev, nullptr, nullptr, nullptr, nullptr);
    }
    u.unsuspend_read(BufferEvent::kSuspendFilterRead);
  }
  if (f->free_context != nullptr) {
    f->free_context(f->context);
  }
  evbuffer_remove_cb_entry(&b.input_buffer, f->inbuf_cb);
  evbuffer_remove_cb_entry(&b.output_buffer, f->outbuf_cb);
  b.filter = nullptr;
  delete f;
  u.release();
}

// Flushing runs the filters in that mode whatever the watermarks, then
// flushes the underlying; 1 when a filter moved data.
int filter_flush(BufferEvent& b, short iotype, bufferevent_flush_mode mode) {
  const BufferEventHold hold(b);
  bool processed = false;
  if ((iotype & EV_READ) != 0) {
    process_input(b, mode, processed);
  }
  if ((iotype & EV_WRITE) != 0) {
    process_output(b, mode, processed);
  }
  bufferevent_flush(&b.filter->underlying->bev, iotype, mode);
  return processed ? 1 : 0;
}

void filter_adjust_timeouts(BufferEvent& b) { b.adjust_generic_timeouts(); }

}  // namespace

const bufferevent_ops filter_bufferevent_ops = {"filter",        filter_enable, filter_disable,
                                                filter_destruct, filter_flush,  filter_adjust_timeouts};

extern "C" {

struct bufferevent* bufferevent_filter_new(struct bufferevent* underlying, bufferevent_filter_cb input_filter,
                                           bufferevent_filter_cb output_filter, int options,
                                           void (*free_context)(void*), void* ctx) {
  if (underlying == nullptr) {
    return nullptr;
  }
  BufferEvent& u = BufferEvent::of(underlying);
  auto* b = new (std::nothrow) BufferEvent(underlying->ev_base, filter_bufferevent_ops, options);
  if (b == nullptr) {
    return nullptr;
  }
  auto* f = new (std::nothrow) FilterState{&u, input_filter, output_filter, free_context, ctx};
  if (f == nullptr) {
    delete b;
    return nullptr;
  }
  if (f->process_in == nullptr) {
    f->process_in = pass_through;
  }
  if (f->process_out == nullptr) {
    f->process_out = pass_through;
  }
  f->inbuf_cb = evbuffer_add_cb(&b->input_buffer, on_input_drained, b);
  f->outbuf_cb = evbuffer_add_cb(&b->output_buffer, on_output_added, b);
  if (f->inbuf_cb == nullptr || f->outbuf_cb == nullptr) {
    delete f;
    delete b;
    return nullptr;
  }
  f->outbuf_cb->additions_only = true;
  // Threads: the filter and its underlying share one lock (the
  // underlying's, or the filter's new one, which the underlying takes), as
  // in libevent: each calls into the other.
  if ((options & BEV_OPT_THREADSAFE) != 0 || u.lock != nullptr) {
    if (b->enable_locking(u.lock_owner) != 0 || (u.lock == nullptr && u.enable_locking(b->lock_owner) != 0)) {
      delete f;
      delete b;
      return nullptr;
    }
  }
  b->filter = f;
  evbuffer_cb_clear_flags(&b->input_buffer, f->inbuf_cb, EVBUFFER_CB_ENABLED);
  b->init_generic_timeouts();
  bufferevent_setcb(underlying, on_underlying_read, on_underlying_write, on_underlying_event, b);
  u.hold();
  bufferevent_enable(underlying, EV_READ | EV_WRITE);
  u.suspend_read(BufferEvent::kSuspendFilterRead);
  return &b->bev;
}

struct bufferevent* bufferevent_get_underlying(struct bufferevent* bufev) {
  BufferEvent& b = BufferEvent::of(bufev);
  return bufev->be_ops == &filter_bufferevent_ops ? &b.filter->underlying->bev : nullptr;
}

}  // extern "C"
