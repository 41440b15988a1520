// Token buckets and the hooks the socket bufferevent calls (see
// rate_limit.hpp); the C entry points are in bufferevent_ratelim.cpp.
#include "rate_limit.hpp"

#include <algorithm>

namespace eddy::compat {

namespace {

// limit + ticks * rate, at most burst, without overflowing.
std::int64_t refilled(std::int64_t limit, unsigned ticks, std::size_t rate, std::size_t burst) noexcept {
  const auto max = static_cast<std::int64_t>(burst);
  if (limit >= max) {
    return limit;
  }
  const auto room = static_cast<std::uint64_t>(max - limit);
  if (room / ticks < rate) {
    return max;
  }
  return limit + static_cast<std::int64_t>(ticks * rate);
}

constexpr auto kSsizeMax = static_cast<std::int64_t>(EV_SSIZE_MAX);

void ensure_refill(RateLimit& rl) noexcept {
  if (event_pending(&rl.refill, EV_TIMEOUT, nullptr) == 0) {
    event_add(&rl.refill, &rl.cfg->tick_len);
  }
}

}  // namespace

void resume_read(BufferEvent& b, unsigned why) noexcept {
  if ((b.read_suspended & why) != 0) {
    b.unsuspend_read(why);
  }
}

void resume_write(BufferEvent& b, unsigned why) noexcept {
  if ((b.write_suspended & why) != 0) {
    b.unsuspend_write(why);
  }
}

void TokenBucket::start(const ev_token_bucket_cfg& cfg, unsigned tick) noexcept {
  read = static_cast<std::int64_t>(cfg.read_rate);
  write = static_cast<std::int64_t>(cfg.write_rate);
  last_tick = tick;
}

void TokenBucket::clip(const ev_token_bucket_cfg& cfg) noexcept {
  read = std::min(read, static_cast<std::int64_t>(cfg.read_burst));
  write = std::min(write, static_cast<std::int64_t>(cfg.write_burst));
}

void TokenBucket::refill(const ev_token_bucket_cfg& cfg, unsigned tick) noexcept {
  const unsigned ticks = tick - last_tick;
  // Zero, or the clock went back (a huge unsigned difference): no refill.
  if (ticks == 0 || ticks > INT32_MAX) {
    return;
  }
  read = refilled(read, ticks, cfg.read_rate, cfg.read_burst);
  write = refilled(write, ticks, cfg.write_rate, cfg.write_burst);
  last_tick = tick;
}

// Ticks count from the epoch on the base's cached wall clock, as in
// libevent, so that buckets on different bases agree on tick boundaries.
unsigned current_tick(event_base* base, const ev_token_bucket_cfg& cfg) noexcept {
  timeval now{};
  event_base_gettimeofday_cached(base, &now);
  const std::uint64_t msec =
      static_cast<std::uint64_t>(now.tv_sec) * 1000 + static_cast<std::uint64_t>(now.tv_usec) / 1000;
  return static_cast<unsigned>(msec / cfg.msec_per_tick);
}

std::size_t limited_max_to(BufferEvent& b, bool write) noexcept {
  std::int64_t max = std::min(static_cast<std::int64_t>(write ? b.max_write : b.max_read), kSsizeMax);
  RateLimit* rl = b.rate_limit.get();
  if (rl->cfg != nullptr) {
    // The bucket replaces the single-operation limit, it does not cap it:
    // libevent 2.1 does so, and programs see it in get_max_to_read.
    rl->bucket.refill(*rl->cfg, current_tick(b.bev.ev_base, *rl->cfg));
    max = write ? rl->bucket.write : rl->bucket.read;
  }
  if (rl->group != nullptr) {
    const bufferevent_rate_limit_group& g = *rl->group;
    std::int64_t share = 0;
    if (!(write ? g.write_suspended : g.read_suspended)) {
      share = (write ? g.bucket.write : g.bucket.read) / static_cast<std::int64_t>(g.members.size());
      share = std::max(share, static_cast<std::int64_t>(g.min_share));
    }
    max = std::min(max, share);
  }
  return static_cast<std::size_t>(std::max<std::int64_t>(max, 0));
}


void apply_read_bucket(BufferEvent& b) noexcept {
  RateLimit& rl = *b.rate_limit;
  if (rl.bucket.read <= 0) {
    b.suspend_read(BufferEvent::kSuspendRateLimit);
    ensure_refill(rl);
  } else if ((b.read_suspended & BufferEvent::kSuspendRateLimit) != 0) {
    resume_read(b, BufferEvent::kSuspendRateLimit);
    if (rl.bucket.write > 0) {
      b.del_event(&rl.refill);
    }
  }
}

void apply_write_bucket(BufferEvent& b) noexcept {
  RateLimit& rl = *b.rate_limit;
  if (rl.bucket.write <= 0) {
    b.suspend_write(BufferEvent::kSuspendRateLimit);
    ensure_refill(rl);
  } else if ((b.write_suspended & BufferEvent::kSuspendRateLimit) != 0) {
    resume_write(b, BufferEvent::kSuspendRateLimit);
    if (rl.bucket.read > 0) {
      b.del_event(&rl.refill);
    }
  }
}

void charge_limited_read(BufferEvent& b, std::size_t n) noexcept {
  RateLimit* rl = b.rate_limit.get();
  if (rl->cfg != nullptr) {
    rl->bucket.read -= static_cast<std::int64_t>(n);
    apply_read_bucket(b);
  }
  if (bufferevent_rate_limit_group* g = rl->group; g != nullptr) {
    g->bucket.read -= static_cast<std::int64_t>(n);
    g->total_read += n;
    if (g->bucket.read <= 0) {
      g->suspend_reading();
    } else if (g->read_suspended) {
      g->unsuspend_reading();
    }
  }
}

void charge_limited_write(BufferEvent& b, std::size_t n) noexcept {
  RateLimit* rl = b.rate_limit.get();
  if (rl->cfg != nullptr) {
    rl->bucket.write -= static_cast<std::int64_t>(n);
    apply_write_bucket(b);
  }
  if (bufferevent_rate_limit_group* g = rl->group; g != nullptr) {
    g->bucket.write -= static_cast<std::int64_t>(n);
    g->total_written += n;
    if (g->bucket.write <= 0) {
      g->suspend_writing();
    } else if (g->write_suspended) {
      g->unsuspend_writing();
    }
  }
}

}  // namespace eddy::compat

void bufferevent_rate_limit_group::suspend_reading() noexcept {
  read_suspended = true;
  for (BufferEvent* b : members) {
    b->suspend_read(BufferEvent::kSuspendRateGroup);
  }
}

void bufferevent_rate_limit_group::unsuspend_reading() noexcept {
  read_suspended = false;
  for (BufferEvent* b : members) {
    eddy::compat::resume_read(*b, BufferEvent::kSuspendRateGroup);
  }
}

void bufferevent_rate_limit_group::suspend_writing() noexcept {
  write_suspended = true;
  for (BufferEvent* b : members) {
    b->suspend_write(BufferEvent::kSuspendRateGroup);
  }
}

void bufferevent_rate_limit_group::unsuspend_writing() noexcept {
  write_suspended = false;
  for (BufferEvent* b : members) {
    eddy::compat::resume_write(*b, BufferEvent::kSuspendRateGroup);
  }
}

namespace {

// A side out of tokens waits for this; it runs one tick after the bucket
// ran dry, and again while a side is still dry.
void on_refill(evutil_socket_t, short, void* arg) {
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  const BufferEventHold hold(b);
  if (!hold.alive()) {
    return;
  }
  RateLimit& rl = *b.rate_limit;
  if (rl.cfg == nullptr) {
    return;
  }
  rl.bucket.refill(*rl.cfg, eddy::compat::current_tick(b.bev.ev_base, *rl.cfg));
  if (rl.bucket.read > 0) {
    eddy::compat::resume_read(b, BufferEvent::kSuspendRateLimit);
  }
  if (rl.bucket.write > 0) {
    eddy::compat::resume_write(b, BufferEvent::kSuspendRateLimit);
  }
  if (rl.bucket.read <= 0 || rl.bucket.write <= 0) {
    event_add(&rl.refill, &rl.cfg->tick_len);
  }
}

}  // namespace

RateLimit::RateLimit(BufferEvent& b) noexcept : owner(b) {
  event_assign(&refill, b.bev.ev_base, -1, EV_FINALIZE, on_refill, &b);
}

// The bufferevent is going: it is only taken off the group's list, there
// is nothing left to resume.
RateLimit::~RateLimit() {
  event_del(&refill);
  if (group != nullptr) {
    std::erase(group->members, &owner);
  }
}

void RateLimit::leave_group() noexcept {
  if (group == nullptr) {
    return;
  }
  std::erase(group->members, &owner);
  group = nullptr;
  eddy::compat::resume_read(owner, BufferEvent::kSuspendRateGroup);
  eddy::compat::resume_write(owner, BufferEvent::kSuspendRateGroup);
}
