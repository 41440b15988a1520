#pragma once

#include "evbuffer.hpp"

#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>

#include <cstddef>
#include <memory>

struct BufferEvent;
struct FilterState;
struct RateLimit;

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
struct BufferEvent {
  BufferEvent(event_base* base, const bufferevent_ops& ops, int options);
  ~BufferEvent();

  BufferEvent(const BufferEvent&) = delete;
  BufferEvent& operator=(const BufferEvent&) = delete;

  static BufferEvent& of(bufferevent* bev) noexcept { return *reinterpret_cast<BufferEvent*>(bev); }

  void hold() noexcept { ++refs; }
  // Drops a reference; returns false when that destroyed the object.
  bool release() noexcept;

  // Run (or defer) the program's callbacks, as libevent decides to.
  void trigger_read(int options) noexcept;
  void trigger_write(int options) noexcept;
  void run_readcb(int options) noexcept;
  void run_writecb(int options) noexcept;
  void run_eventcb(short what, int options) noexcept;
  void run_deferred() noexcept;
  void recheck_high_mark() noexcept;

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

  // Deferred callbacks (BEV_OPT_DEFER_CALLBACKS, and always for pairs).
  struct event deferred {};
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
  std::size_t max_read;
  std::size_t max_write;

  // Pairs.
  BufferEvent* partner = nullptr;

  // Filters (bufferevent_filter.cpp).
  FilterState* filter = nullptr;

  // Rate limiting (rate_limit.hpp); null until a rate-limit call.
  std::unique_ptr<RateLimit> rate_limit;
};

// Keeps a bufferevent alive across a callback into the program.
class BufferEventHold {
 public:
  explicit BufferEventHold(BufferEvent& b) noexcept : b_(b) { b_.hold(); }
  ~BufferEventHold() { b_.release(); }
  BufferEventHold(const BufferEventHold&) = delete;
  BufferEventHold& operator=(const BufferEventHold&) = delete;

 private:
  BufferEvent& b_;
};

// Kinds.
extern const bufferevent_ops socket_bufferevent_ops;
extern const bufferevent_ops pair_bufferevent_ops;
extern const bufferevent_ops filter_bufferevent_ops;
