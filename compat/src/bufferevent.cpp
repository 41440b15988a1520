// What all bufferevents share: callbacks and their deferral, watermarks,
// enabling, timeouts, reference counting, and the C entry points that do
// not depend on the kind.
#include "bufferevent.hpp"

#include "event_base.hpp"
#include "mem.hpp"
#include "rate_limit.hpp"
#include "socket_requests.hpp"

#include <cerrno>
#include <new>

namespace {

// libevent's defaults for one read and one write. eddy reads and writes
// more at once (see docs/compat.md).
constexpr std::size_t kDefaultMaxRead = 64 * 1024;
constexpr std::size_t kDefaultMaxWrite = 1024 * 1024;

void run_deferred_callbacks(evutil_socket_t, short, void* arg) {
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  const BufferEventHold hold(b);
  if (hold.alive()) {
    b.run_deferred();
  }
}

// Pauses reading while the input holds the high read mark or more.
void watch_input_level(evbuffer* input, const evbuffer_cb_info*, void* arg) {
  auto& b = *static_cast<BufferEvent*>(arg);
  if (input->size() >= b.bev.wm_read.high) {
    b.suspend_read(BufferEvent::kSuspendWatermark);
  } else {
    b.unsuspend_read(BufferEvent::kSuspendWatermark);
  }
}

}  // namespace

BufferEvent::BufferEvent(event_base* base, const bufferevent_ops& ops, int opts)
    : options(opts), max_read(kDefaultMaxRead), max_write(kDefaultMaxWrite) {
  bev.ev_base = base;
  bev.be_ops = &ops;
  bev.input = &input_buffer;
  bev.output = &output_buffer;
  input_buffer.parent = &bev;
  output_buffer.parent = &bev;
  // Writing is on from the start, so that a first write is sent; reading
  // waits to be enabled (libevent's defaults).
  bev.enabled = EV_WRITE;
}

BufferEvent::~BufferEvent() {
  if (deferred != nullptr) {
    event_del(deferred);
    eddy::compat::mem_delete(deferred);
  }
}

bool BufferEvent::make_deferred() noexcept {
  if (deferred != nullptr) {
    return true;
  }
  deferred = eddy::compat::mem_new<event>();
  if (deferred == nullptr) {
    return false;
  }
  // Without a base of its own the event takes the current one, as libevent's.
  event_assign(deferred, bev.ev_base, -1, 0, run_deferred_callbacks, this);
  if (priority >= 0) {
    event_priority_set(deferred, priority);
  }
  return true;
}

bool BufferEvent::release() noexcept {
  eddy::compat::lock_acquire(lock);
  return release_and_unlock();
}

void BufferEvent::die_and_unlock() noexcept {
  dying = true;
  eddy::compat::lock_release(lock);
  event_base* base = bev.ev_base;
  if (lock == nullptr || base == nullptr) {
    destroy();
  } else {
    // A callback of the loop's may be waiting for the lock right now; it
    // sees `dying` and leaves before the loop gets to this.
    base->on_loop_thread_nowait([this] {
      destroy();
      return 0;
    });
  }
}

void BufferEvent::destroy() noexcept {
  bev.be_ops->destruct(*this);
  delete this;
}

int BufferEvent::enable_locking(const std::shared_ptr<void>& shared) {
  if (shared) {
    lock_owner = shared;
  } else {
    void* made = eddy::compat::lock_new();
    if (made == nullptr) {
      return -1;
    }
    lock_owner = std::shared_ptr<void>(made, eddy::compat::lock_delete);
  }
  lock = lock_owner.get();
  evbuffer_enable_locking(&input_buffer, lock);
  evbuffer_enable_locking(&output_buffer, lock);
  return 0;
}

void BufferEvent::del_event_from_structures(event* ev) noexcept {
  if (lock == nullptr || ev->ev_base == nullptr) {
    event_del(ev);
  } else {
    // Not event_del_noblock: another thread may not read the event's flags.
    event_base* base = ev->ev_base;
    base->on_loop_thread_nowait([base, ev] { return base->del_if_added(ev); });
  }
}

namespace {

void schedule(BufferEvent& b) noexcept {
  if (b.deferred_scheduled) {
    return;
  }
  const bool made = b.make_deferred();
  if (made && b.deferred->ev_base == nullptr) {
    return;  // no base at all: nothing would run them
  }
  b.deferred_scheduled = true;
  b.hold();  // until the deferred callbacks have run
  if (made) {
    event_active_later_(b.deferred, EV_TIMEOUT);
  } else {
    b.run_deferred();  // out of memory: late is better than never
  }
}

}  // namespace

void BufferEvent::defer_readcb() noexcept {
  readcb_pending = true;
  schedule(*this);
}

void BufferEvent::defer_writecb() noexcept {
  writecb_pending = true;
  schedule(*this);
}

void BufferEvent::run_eventcb(short what, int opts) noexcept {
  if (bev.errorcb == nullptr) {
    return;
  }
  if (((options | opts) & BEV_OPT_DEFER_CALLBACKS) != 0) {
    eventcb_pending = static_cast<short>(eventcb_pending | what);
    errno_pending = errno;
    schedule(*this);
  } else {
    bev.errorcb(&bev, what, bev.cbarg);
  }
}

void BufferEvent::run_deferred() noexcept {
  // Cancelled by bufferevent_free on another thread after the loop had
  // made it active: the hold was dropped there.
  if (!deferred_scheduled) {
    return;
  }
  deferred_scheduled = false;
  // "Connected" happened before any reads or writes it made possible.
  if ((eventcb_pending & BEV_EVENT_CONNECTED) != 0) {
    eventcb_pending = static_cast<short>(eventcb_pending & ~BEV_EVENT_CONNECTED);
    if (bev.errorcb != nullptr) {
      bev.errorcb(&bev, BEV_EVENT_CONNECTED, bev.cbarg);
    }
  }
  if (readcb_pending && bev.readcb != nullptr) {
    readcb_pending = false;
    bev.readcb(&bev, bev.cbarg);
    recheck_high_mark();
  }
  if (writecb_pending && bev.writecb != nullptr) {
    writecb_pending = false;
    bev.writecb(&bev, bev.cbarg);
  }
  if (eventcb_pending != 0 && bev.errorcb != nullptr) {
    const short what = eventcb_pending;
    const int err = errno_pending;
    eventcb_pending = 0;
    errno_pending = 0;
    errno = err;
    bev.errorcb(&bev, what, bev.cbarg);
  }
  release();
}

void BufferEvent::suspend_read(unsigned why) noexcept {
  if (read_suspended == 0) {
    bev.be_ops->disable(*this, EV_READ);
  }
  read_suspended |= why;
}

void BufferEvent::unsuspend_read(unsigned why) noexcept {
  read_suspended &= ~why;
  if (read_suspended == 0 && (bev.enabled & EV_READ) != 0) {
    bev.be_ops->enable(*this, EV_READ);
  }
}

void BufferEvent::suspend_write(unsigned why) noexcept {
  if (write_suspended == 0) {
    bev.be_ops->disable(*this, EV_WRITE);
  }
  write_suspended |= why;
}

void BufferEvent::unsuspend_write(unsigned why) noexcept {
  write_suspended &= ~why;
  if (write_suspended == 0 && (bev.enabled & EV_WRITE) != 0) {
    bev.be_ops->enable(*this, EV_WRITE);
  }
}

extern "C" {

void bufferevent_free(struct bufferevent* bufev) {
  BufferEvent& b = BufferEvent::of(bufev);
  const BufferEventHold hold(b);
  bufferevent_setcb(bufev, nullptr, nullptr, nullptr, nullptr);
  b.freed = true;
  // Deferred callbacks would find none left to call: cancel them and drop
  // their hold now, or a bufferevent freed with callbacks pending would
  // stay allocated when its base is freed before they run.
  if (b.deferred_scheduled) {
    b.del_event(b.deferred);
    b.deferred_scheduled = false;
    b.release();
  }
  b.release();
}

void bufferevent_setcb(struct bufferevent* bufev, bufferevent_data_cb readcb, bufferevent_data_cb writecb,
                       bufferevent_event_cb eventcb, void* cbarg) {
  const eddy::compat::LockHeld held(BufferEvent::of(bufev).lock);
  bufev->readcb = readcb;
  bufev->writecb = writecb;
  bufev->errorcb = eventcb;
  bufev->cbarg = cbarg;
}

void bufferevent_getcb(struct bufferevent* bufev, bufferevent_data_cb* readcb_ptr, bufferevent_data_cb* writecb_ptr,
                       bufferevent_event_cb* eventcb_ptr, void** cbarg_ptr) {
  const eddy::compat::LockHeld held(BufferEvent::of(bufev).lock);
  if (readcb_ptr != nullptr) {
    *readcb_ptr = bufev->readcb;
  }
  if (writecb_ptr != nullptr) {
    *writecb_ptr = bufev->writecb;
  }
  if (eventcb_ptr != nullptr) {
    *eventcb_ptr = bufev->errorcb;
  }
  if (cbarg_ptr != nullptr) {
    *cbarg_ptr = bufev->cbarg;
  }
}

struct evbuffer* bufferevent_get_input(struct bufferevent* bufev) { return bufev->input; }
struct evbuffer* bufferevent_get_output(struct bufferevent* bufev) { return bufev->output; }
struct event_base* bufferevent_get_base(struct bufferevent* bufev) { return bufev->ev_base; }

int bufferevent_write(struct bufferevent* bufev, const void* data, size_t size) {
  return evbuffer_add(bufev->output, data, size) == -1 ? -1 : 0;
}

int bufferevent_write_buffer(struct bufferevent* bufev, struct evbuffer* buf) {
  return evbuffer_add_buffer(bufev->output, buf) == -1 ? -1 : 0;
}

size_t bufferevent_read(struct bufferevent* bufev, void* data, size_t size) {
  const int n = evbuffer_remove(bufev->input, data, size);
  return n < 0 ? 0 : static_cast<size_t>(n);
}

int bufferevent_read_buffer(struct bufferevent* bufev, struct evbuffer* buf) {
  return evbuffer_add_buffer(buf, bufev->input);
}

int bufferevent_enable(struct bufferevent* bufev, short event) {
  BufferEvent& b = BufferEvent::of(bufev);
  const BufferEventHold hold(b);
  short events = event;
  if (b.read_suspended != 0) {
    events = static_cast<short>(events & ~EV_READ);
  }
  if (b.write_suspended != 0) {
    events = static_cast<short>(events & ~EV_WRITE);
  }
  bufev->enabled = static_cast<short>(bufev->enabled | event);
  return events != 0 && bufev->be_ops->enable(b, events) < 0 ? -1 : 0;
}

int bufferevent_disable(struct bufferevent* bufev, short event) {
  BufferEvent& b = BufferEvent::of(bufev);
  const BufferEventHold hold(b);
  bufev->enabled = static_cast<short>(bufev->enabled & ~event);
  return bufev->be_ops->disable(b, event) < 0 ? -1 : 0;
}

short bufferevent_get_enabled(struct bufferevent* bufev) {
  const eddy::compat::LockHeld held(BufferEvent::of(bufev).lock);
  return bufev->enabled;
}

int bufferevent_set_timeouts(struct bufferevent* bufev, const struct timeval* timeout_read,
                             const struct timeval* timeout_write) {
  BufferEvent& b = BufferEvent::of(bufev);
  const BufferEventHold hold(b);
  bufev->timeout_read = timeout_read != nullptr ? *timeout_read : timeval{0, 0};
  bufev->timeout_write = timeout_write != nullptr ? *timeout_write : timeval{0, 0};
  // Which events wait is the loop's to know.
  b.on_loop([&b] { b.bev.be_ops->adjust_timeouts(b); });
  return 0;
}

void bufferevent_settimeout(struct bufferevent* bufev, int timeout_read, int timeout_write) {
  const timeval read_tv{timeout_read, 0};
  const timeval write_tv{timeout_write, 0};
  bufferevent_set_timeouts(bufev, timeout_read != 0 ? &read_tv : nullptr, timeout_write != 0 ? &write_tv : nullptr);
}

void bufferevent_setwatermark(struct bufferevent* bufev, short events, size_t lowmark, size_t highmark) {
  BufferEvent& b = BufferEvent::of(bufev);
  const BufferEventHold hold(b);
  if ((events & EV_WRITE) != 0) {
    bufev->wm_write.low = lowmark;
    bufev->wm_write.high = highmark;
  }
  if ((events & EV_READ) != 0) {
    bufev->wm_read.low = lowmark;
    bufev->wm_read.high = highmark;
    if (highmark != 0) {
      if (b.watermark_cb == nullptr) {
        b.watermark_cb = evbuffer_add_cb(bufev->input, watch_input_level, &b);
      }
      if (b.watermark_cb != nullptr) {
        evbuffer_cb_set_flags(bufev->input, b.watermark_cb, EVBUFFER_CB_ENABLED);
      }
      if (highmark <= b.input_buffer.size()) {
        b.suspend_read(BufferEvent::kSuspendWatermark);
      } else {
        b.unsuspend_read(BufferEvent::kSuspendWatermark);
      }
    } else {
      if (b.watermark_cb != nullptr) {
        evbuffer_cb_clear_flags(bufev->input, b.watermark_cb, EVBUFFER_CB_ENABLED);
      }
      b.unsuspend_read(BufferEvent::kSuspendWatermark);
    }
  }
}

int bufferevent_getwatermark(struct bufferevent* bufev, short events, size_t* lowmark, size_t* highmark) {
  const eddy::compat::LockHeld held(BufferEvent::of(bufev).lock);
  const event_watermark* mark = nullptr;
  if (events == EV_WRITE) {
    mark = &bufev->wm_write;
  } else if (events == EV_READ) {
    mark = &bufev->wm_read;
  } else {
    return -1;
  }
  if (lowmark != nullptr) {
    *lowmark = mark->low;
  }
  if (highmark != nullptr) {
    *highmark = mark->high;
  }
  return 0;
}

// Without BEV_OPT_THREADSAFE there is no lock, and these do nothing.
void bufferevent_lock(struct bufferevent* bufev) { eddy::compat::lock_acquire(BufferEvent::of(bufev).lock); }
void bufferevent_unlock(struct bufferevent* bufev) { eddy::compat::lock_release(BufferEvent::of(bufev).lock); }

void bufferevent_incref(struct bufferevent* bufev) {
  BufferEvent& b = BufferEvent::of(bufev);
  const eddy::compat::LockHeld held(b.lock);
  b.hold();
}

int bufferevent_decref(struct bufferevent* bufev) { return BufferEvent::of(bufev).release() ? 0 : 1; }

int bufferevent_flush(struct bufferevent* bufev, short iotype, enum bufferevent_flush_mode mode) {
  BufferEvent& b = BufferEvent::of(bufev);
  const BufferEventHold hold(b);
  return bufev->be_ops->flush(b, iotype, mode);
}

void bufferevent_trigger(struct bufferevent* bufev, short iotype, int options) {
  BufferEvent& b = BufferEvent::of(bufev);
  const BufferEventHold hold(b);
  if ((iotype & EV_READ) != 0) {
    b.trigger_read(options);
  }
  if ((iotype & EV_WRITE) != 0) {
    b.trigger_write(options);
  }
}

void bufferevent_trigger_event(struct bufferevent* bufev, short what, int options) {
  BufferEvent& b = BufferEvent::of(bufev);
  const BufferEventHold hold(b);
  b.run_eventcb(what, options);
}

int bufferevent_priority_set(struct bufferevent* bufev, int pri) {
  BufferEvent& b = BufferEvent::of(bufev);
  const eddy::compat::LockHeld held(b.lock);
  if (event_priority_set(&bufev->ev_read, pri) == -1 || event_priority_set(&bufev->ev_write, pri) == -1) {
    return -1;
  }
  b.priority = pri;
  if (b.deferred != nullptr) {
    event_priority_set(b.deferred, pri);
  }
  return 0;
}

int bufferevent_get_priority(const struct bufferevent* bufev) { return event_get_priority(&bufev->ev_read); }

int bufferevent_set_max_single_read(struct bufferevent* bufev, size_t size) {
  BufferEvent& b = BufferEvent::of(bufev);
  const eddy::compat::LockHeld held(b.lock);
  b.max_read = size == 0 ? kDefaultMaxRead : size;
  return 0;
}

int bufferevent_set_max_single_write(struct bufferevent* bufev, size_t size) {
  BufferEvent& b = BufferEvent::of(bufev);
  const eddy::compat::LockHeld held(b.lock);
  b.max_write = size == 0 ? kDefaultMaxWrite : size;
  return 0;
}

ev_ssize_t bufferevent_get_max_single_read(struct bufferevent* bufev) {
  BufferEvent& b = BufferEvent::of(bufev);
  const eddy::compat::LockHeld held(b.lock);
  return static_cast<ev_ssize_t>(b.max_read);
}

ev_ssize_t bufferevent_get_max_single_write(struct bufferevent* bufev) {
  BufferEvent& b = BufferEvent::of(bufev);
  const eddy::compat::LockHeld held(b.lock);
  return static_cast<ev_ssize_t>(b.max_write);
}

}  // extern "C"
