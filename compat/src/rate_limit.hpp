#pragma once

// Rate limiting of bufferevents (libevent 2.1's bufferevent_ratelim): token
// buckets refilled once per tick, per bufferevent and per group. Only socket
// bufferevents respect them, as in libevent: their read and write paths ask
// max_to_read/max_to_write how much they may move and charge_read/
// charge_write what they moved. A bucket at or below zero suspends that
// side (BufferEvent::kSuspendRateLimit, kSuspendRateGroup) until a refill
// lifts it above zero (a group: to its min_share).
//
// Everything runs on the loop's thread. A cfg handed to
// bufferevent_set_rate_limit is referenced, not copied (the program frees
// it once no bufferevent uses it); a group copies its cfg.

#include "bufferevent.hpp"

#include <event2/event_struct.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

struct ev_token_bucket_cfg {
  std::size_t read_rate;
  std::size_t read_burst;
  std::size_t write_rate;
  std::size_t write_burst;
  timeval tick_len;
  unsigned msec_per_tick;
};

namespace eddy::compat {

// Bytes that may still be read and written in this tick. Either may go
// below zero: a read takes what the socket has, up to the bucket, and the
// program may decrement by hand.
struct TokenBucket {
  std::int64_t read = 0;
  std::int64_t write = 0;
  unsigned last_tick = 0;

  // A fresh bucket holds one tick's rate, not the burst (libevent's choice).
  void start(const ev_token_bucket_cfg& cfg, unsigned tick) noexcept;
  // A new cfg for a bucket in use: only lowers it to the new bursts.
  void clip(const ev_token_bucket_cfg& cfg) noexcept;
  // Adds the rate for each tick since the last refill, up to the burst.
  void refill(const ev_token_bucket_cfg& cfg, unsigned tick) noexcept;
};

unsigned current_tick(event_base* base, const ev_token_bucket_cfg& cfg) noexcept;

// How much the socket paths may read or write now: the bufferevent's own
// bucket if it has one, else its single-operation limit; then at most its
// share of its group's bucket.
//
// Inline for the bufferevents that nothing limits but their single-operation
// limits, every one until a rate-limit call: the socket paths ask on every
// message.
std::size_t limited_max_to(BufferEvent& b, bool write) noexcept;
void charge_limited_read(BufferEvent& b, std::size_t n) noexcept;
void charge_limited_write(BufferEvent& b, std::size_t n) noexcept;

inline std::size_t max_to_read(BufferEvent& b) noexcept {
  return b.rate_limit == nullptr ? std::min<std::size_t>(b.max_read, EV_SSIZE_MAX) : limited_max_to(b, false);
}
inline std::size_t max_to_write(BufferEvent& b) noexcept {
  return b.rate_limit == nullptr ? std::min<std::size_t>(b.max_write, EV_SSIZE_MAX) : limited_max_to(b, true);
}
inline void charge_read(BufferEvent& b, std::size_t n) noexcept {
  if (b.rate_limit != nullptr) {
    charge_limited_read(b, n);
  }
}
inline void charge_write(BufferEvent& b, std::size_t n) noexcept {
  if (b.rate_limit != nullptr) {
    charge_limited_write(b, n);
  }
}

// Resumes only what `why` held back: unsuspending a side that was never
// suspended would re-add its event and restart its timeout.
void resume_read(BufferEvent& b, unsigned why) noexcept;
void resume_write(BufferEvent& b, unsigned why) noexcept;

// Suspends or resumes one side after its own bucket changed.
void apply_read_bucket(BufferEvent& b) noexcept;
void apply_write_bucket(BufferEvent& b) noexcept;

}  // namespace eddy::compat

// A group: one bucket that all members draw on. Its refill timer runs for
// the group's whole life, on the base it was created with.
struct bufferevent_rate_limit_group {
  ev_token_bucket_cfg cfg{};
  eddy::compat::TokenBucket bucket;
  std::vector<BufferEvent*> members;
  std::size_t configured_min_share = 0;
  std::size_t min_share = 0;  // configured_min_share, at most one tick's rates
  bool read_suspended = false;
  bool write_suspended = false;
  std::uint64_t total_read = 0;
  std::uint64_t total_written = 0;
  struct event refill {};

  void suspend_reading() noexcept;
  void unsuspend_reading() noexcept;
  void suspend_writing() noexcept;
  void unsuspend_writing() noexcept;
};

// One bufferevent's rate-limit state, created on its first rate-limit call
// and destroyed with it (BufferEvent::rate_limit).
struct RateLimit {
  explicit RateLimit(BufferEvent& b) noexcept;
  ~RateLimit();
  RateLimit(const RateLimit&) = delete;
  RateLimit& operator=(const RateLimit&) = delete;

  // Leaves the group, resuming what only the group held back.
  void leave_group() noexcept;

  BufferEvent& owner;
  const ev_token_bucket_cfg* cfg = nullptr;  // the program's; null: no own limit
  eddy::compat::TokenBucket bucket;
  bufferevent_rate_limit_group* group = nullptr;
  struct event refill {};  // pending while a side is out of tokens
};
