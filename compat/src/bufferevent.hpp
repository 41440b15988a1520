#pragma once

#include "evbuffer.hpp"
#include "event_base.hpp"
#include "evlock.hpp"

#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>

#include <cstddef>
#include <memory>

struct BufferEvent;
struct FilterState;
struct RateLimit;
namespace eddy::compat {
class SocketRequests;
}

// What differs between the kinds of bufferevent (libevent's be_ops).
struct bufferevent_ops {
  const char* type;
  int (*enable)(BufferEvent& b, short events);
  int (*disable)(BufferEvent& b, short events);
  void (*destruct)(BufferEvent& b);
  int (*flush)(BufferEvent& b, short iotype, bufferevent_flush_mode mode);
  void (*adjust_timeouts)(BufferEvent& b);
};

// A bufferevent's whole state: libevent's public struct first, so that a
// struct bufferevent* is a BufferEvent*, then what only eddy reads.
//
// Lifetime: a reference count, held by the program (until
// bufferevent_free) and by every callback in progress or deferred; the
// object goes when the last is dropped, so freeing it inside one of its own
// callbacks is safe.
//
// Threads (BEV_OPT_THREADSAFE): one recursive lock guards the bufferevent
// and its two buffers, shared with a pair's partner and a filter's
// underlying bufferevent (libevent's rule). Every entry point takes it, and
// so does the loop before it calls the program back. The base's events are
// changed only on the loop's thread: from another thread such a change is
// queued for it (on_loop), so that a thread holding the lock never waits
// for the loop, whose callback may be waiting for the lock. For the same
// reason a locked bufferevent whose last reference goes on another thread
// is destroyed on its loop's thread.
struct BufferEvent {
  BufferEvent(event_base* base, const bufferevent_ops& ops, int options);
  ~BufferEvent();

  BufferEvent(const BufferEvent&) = delete;
  BufferEvent& operator=(const BufferEvent&) = delete;

  static BufferEvent& of(bufferevent* bev) noexcept { return *reinterpret_cast<BufferEvent*>(bev); }

  void hold() noexcept { ++refs; }
  // Drops a reference; returns false when that was the last one (the
  // object is then destroyed, or will be on its loop's thread).
  bool release() noexcept;
  // The same with the lock held, which it releases. Inline for what it
  // nearly always drops, not the last reference: every callback holds one.
  bool release_and_unlock() noexcept {
    if (--refs > 0) {
      eddy::compat::lock_release(lock);
      return true;
    }
    die_and_unlock();
    return false;
  }
  // The last reference went: destroyed now, or on the loop's thread.
  void die_and_unlock() noexcept;

  // BEV_OPT_THREADSAFE: makes the lock, or shares `shared` (a partner's or
  // an underlying's); -1 when the program set no lock functions.
  int enable_locking(const std::shared_ptr<void>& shared);
  // Runs f() where the base's events may be changed: here, on the loop's
  // thread or when no loop runs; else queued for the loop's thread, which
  // runs it with the lock held. f() must not rely on when it runs.
  template <typename F>
  void on_loop(F f);
  // event_del for this bufferevent's own events: never waits for the loop.
  // Inline for its commonest case, a write event with nothing to undo
  // after a write that emptied the output; with a lock another thread may
  // be the caller, which must not read the flags.
  void del_event(event* ev) noexcept {
    if (lock == nullptr && eddy::compat::in_no_structure(ev)) {
      return;
    }
    del_event_from_structures(ev);
  }
  void del_event_from_structures(event* ev) noexcept;

  // Run (or defer) the program's callbacks, as libevent decides to.
  // Inline up to the call: the socket paths come here on every message.
  void trigger_read(int opts) noexcept {
    if ((opts & BEV_TRIG_IGNORE_WATERMARKS) != 0 || input_buffer.size() >= bev.wm_read.low) {
      run_readcb(opts);
    }
  }
  void trigger_write(int opts) noexcept {
    if ((opts & BEV_TRIG_IGNORE_WATERMARKS) != 0 || output_buffer.size() <= bev.wm_write.low) {
      run_writecb(opts);
    }
  }
  void run_readcb(int opts) noexcept {
    if (bev.readcb == nullptr) {
      return;
    }
    if (((options | opts) & BEV_OPT_DEFER_CALLBACKS) != 0) {
      defer_readcb();
      return;
    }
    bev.readcb(&bev, bev.cbarg);
    recheck_high_mark();
  }
  void run_writecb(int opts) noexcept {
    if (bev.writecb == nullptr) {
      return;
    }
    if (((options | opts) & BEV_OPT_DEFER_CALLBACKS) != 0) {
      defer_writecb();
      return;
    }
    bev.writecb(&bev, bev.cbarg);
  }
  void run_eventcb(short what, int options) noexcept;
  void run_deferred() noexcept;
  // A read callback that left the input at the high read mark would never
  // be called again: reading is paused, so no new data comes. libevent
  // (since 2.1.9) calls it again from the loop; so does eddy.
  void recheck_high_mark() noexcept {
    if (bev.wm_read.high != 0 && (bev.enabled & EV_READ) != 0 && input_buffer.size() >= bev.wm_read.high) {
      trigger_read(BEV_OPT_DEFER_CALLBACKS);
    }
  }
  // The callback will run from the loop (the deferred-callback event).
  void defer_readcb() noexcept;
  void defer_writecb() noexcept;

  // Reading or writing paused for a reason of the library's (bits), on top
  // of what the program enabled.
  static constexpr unsigned kSuspendWatermark = 1;
  static constexpr unsigned kSuspendLookup = 2;
  static constexpr unsigned kSuspendFilterRead = 4;  // a filter on top is not reading
  static constexpr unsigned kSuspendRateLimit = 8;   // its own token bucket is empty
  static constexpr unsigned kSuspendRateGroup = 16;  // its rate-limit group's bucket is empty
  void suspend_read(unsigned why) noexcept;
  void unsuspend_read(unsigned why) noexcept;
  void suspend_write(unsigned why) noexcept;
  void unsuspend_write(unsigned why) noexcept;

  // Read and write timeouts for the kinds without a socket (pairs,
  // filters): bev.ev_read and bev.ev_write become plain timers, which
  // disable that side and report BEV_EVENT_TIMEOUT when they fire
  // (bufferevent_timeouts.cpp).
  void init_generic_timeouts() noexcept;
  void reset_read_timeout() noexcept;
  void reset_write_timeout() noexcept;
  void del_generic_timeouts() noexcept;
  void adjust_generic_timeouts() noexcept;

  bufferevent bev{};
  evbuffer input_buffer;
  evbuffer output_buffer;
  int options;
  int refs = 1;
  unsigned read_suspended = 0;
  unsigned write_suspended = 0;
  evbuffer_cb_entry* watermark_cb = nullptr;  // on input, while a high read mark is set

  // Deferred callbacks (BEV_OPT_DEFER_CALLBACKS, and always for pairs):
  // the event that runs them, made by make_deferred() when first needed
  // (most socket bufferevents never defer: 128 bytes each otherwise).
  bool make_deferred() noexcept;
  struct event* deferred = nullptr;
  int priority = -1;  // bufferevent_priority_set's, for `deferred` too
  bool deferred_scheduled = false;
  bool readcb_pending = false;
  bool writecb_pending = false;
  short eventcb_pending = 0;
  int errno_pending = 0;

  // Sockets.
  bool connecting = false;
  bool connection_refused = false;
  int dns_error = 0;
  bool freed = false;  // bufferevent_free() was called; only holds keep it
  // Sockets: inside the read callback (on_readable), which writes what it
  // added to the output (write_wanted) once the callback returns.
  bool in_read_callback = false;
  bool write_wanted = false;
  std::size_t max_read;
  std::size_t max_write;
  // Reads and writes by completion (socket_requests.hpp), where the
  // base's loop has them; null on readiness.
  std::unique_ptr<eddy::compat::SocketRequests> requests;

  // Pairs.
  BufferEvent* partner = nullptr;

  // Filters (bufferevent_filter.cpp).
  FilterState* filter = nullptr;

  // Rate limiting (rate_limit.hpp); null until a rate-limit call.
  std::unique_ptr<RateLimit> rate_limit;

  // BEV_OPT_THREADSAFE: the lock (null without), and its owner, shared
  // with the bufferevents that share it.
  void* lock = nullptr;
  std::shared_ptr<void> lock_owner;
  // The last reference is gone: the object waits to be destroyed, and is
  // neither used nor held again.
  bool dying = false;

 private:
  void destroy() noexcept;
};

// Holds a bufferevent's lock and a reference for a scope: an entry point,
// or a callback of the loop's that calls the program.
class BufferEventHold {
 public:
  explicit BufferEventHold(BufferEvent& b) noexcept : b_(b) {
    eddy::compat::lock_acquire(b_.lock);
    alive_ = !b_.dying;
    if (alive_) {
      b_.hold();
    }
  }
  ~BufferEventHold() {
    if (alive_) {
      b_.release_and_unlock();
    } else {
      eddy::compat::lock_release(b_.lock);
    }
  }
  BufferEventHold(const BufferEventHold&) = delete;
  BufferEventHold& operator=(const BufferEventHold&) = delete;

  // False when the last reference went (on another thread, while this
  // callback waited for the lock): nothing may be done with it but leave.
  bool alive() const noexcept { return alive_; }

 private:
  BufferEvent& b_;
  bool alive_;
};

template <typename F>
void BufferEvent::on_loop(F f) {
  event_base* base = bev.ev_base;
  if (lock == nullptr || base == nullptr) {
    f();
    return;
  }
  hold();  // for the queued call; the caller holds the lock
  base->on_loop_thread_nowait([this, f]() mutable {
    const BufferEventHold held(*this);
    f();
    --refs;  // the queued call's; `held` still has one
    return 0;
  });
}

// Kinds.
extern const bufferevent_ops socket_bufferevent_ops;
extern const bufferevent_ops pair_bufferevent_ops;
extern const bufferevent_ops filter_bufferevent_ops;
