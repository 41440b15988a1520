// The C API of rate limiting (event2/bufferevent.h); the buckets and the
// socket paths' hooks are in rate_limit.cpp.
#include "rate_limit.hpp"

#include <algorithm>
#include <new>

using eddy::compat::current_tick;

namespace {

constexpr std::size_t kDefaultMinShare = 64;  // libevent's

RateLimit* state_of(BufferEvent& b) noexcept {
  if (b.rate_limit == nullptr) {
    b.rate_limit.reset(new (std::nothrow) RateLimit(b));
  }
  return b.rate_limit.get();
}

// A group's timer: refills its bucket every tick, and resumes its members
// once the bucket holds at least a min_share.
void on_group_tick(evutil_socket_t, short, void* arg) {
  auto& g = *static_cast<bufferevent_rate_limit_group*>(arg);
  g.bucket.refill(g.cfg, current_tick(event_get_base(&g.refill), g.cfg));
  if (g.read_suspended && g.bucket.read >= static_cast<std::int64_t>(g.min_share)) {
    g.unsuspend_reading();
  }
  if (g.write_suspended && g.bucket.write >= static_cast<std::int64_t>(g.min_share)) {
    g.unsuspend_writing();
  }
}

}  // namespace

extern "C" {

struct ev_token_bucket_cfg* ev_token_bucket_cfg_new(size_t read_rate, size_t read_burst, size_t write_rate,
                                                    size_t write_burst, const struct timeval* tick_len) {
  const timeval tick = tick_len != nullptr ? *tick_len : timeval{1, 0};
  constexpr auto kMax = static_cast<size_t>(EV_RATE_LIMIT_MAX);
  if (read_rate > read_burst || write_rate > write_burst || read_rate < 1 || write_rate < 1 || read_burst > kMax ||
      write_burst > kMax) {
    return nullptr;
  }
  const auto msec = static_cast<unsigned>(tick.tv_sec * 1000 + tick.tv_usec / 1000);
  // libevent takes a tick under a millisecond and then divides by zero.
  if (msec == 0) {
    return nullptr;
  }
  return new (std::nothrow) ev_token_bucket_cfg{read_rate, read_burst, write_rate, write_burst, tick, msec};
}

void ev_token_bucket_cfg_free(struct ev_token_bucket_cfg* cfg) { delete cfg; }

int bufferevent_set_rate_limit(struct bufferevent* bev, struct ev_token_bucket_cfg* cfg) {
  const eddy::compat::LockHeld held(reinterpret_cast<const BufferEvent*>(bev)->lock);
  BufferEvent& b = BufferEvent::of(bev);
  if (cfg == nullptr) {
    if (b.rate_limit != nullptr && b.rate_limit->cfg != nullptr) {
      b.rate_limit->cfg = nullptr;
      b.del_event(&b.rate_limit->refill);
      eddy::compat::resume_read(b, BufferEvent::kSuspendRateLimit);
      eddy::compat::resume_write(b, BufferEvent::kSuspendRateLimit);
    }
    return 0;
  }
  RateLimit* rl = state_of(b);
  if (rl == nullptr) {
    return -1;
  }
  if (rl->cfg == cfg) {
    return 0;
  }
  if (rl->cfg != nullptr) {
    rl->bucket.clip(*cfg);
  } else {
    rl->bucket.start(*cfg, current_tick(bev->ev_base, *cfg));
  }
  rl->cfg = cfg;
  // The tick may have changed: a pending refill waits for the new one.
  b.del_event(&rl->refill);
  eddy::compat::apply_read_bucket(b);
  eddy::compat::apply_write_bucket(b);
  return 0;
}

const struct ev_token_bucket_cfg* bufferevent_get_token_bucket_cfg(const struct bufferevent* bev) {
  const eddy::compat::LockHeld held(reinterpret_cast<const BufferEvent*>(bev)->lock);
  const RateLimit* rl = reinterpret_cast<const BufferEvent*>(bev)->rate_limit.get();
  return rl != nullptr ? rl->cfg : nullptr;
}

struct bufferevent_rate_limit_group* bufferevent_rate_limit_group_new(struct event_base* base,
                                                                      const struct ev_token_bucket_cfg* cfg) {
  if (cfg == nullptr) {
    return nullptr;
  }
  auto* g = new (std::nothrow) bufferevent_rate_limit_group;
  if (g == nullptr) {
    return nullptr;
  }
  g->cfg = *cfg;
  g->bucket.start(*cfg, current_tick(base, *cfg));
  bufferevent_rate_limit_group_set_min_share(g, kDefaultMinShare);
  event_assign(&g->refill, base, -1, EV_PERSIST | EV_FINALIZE, on_group_tick, g);
  event_add(&g->refill, &g->cfg.tick_len);
  return g;
}

int bufferevent_rate_limit_group_set_cfg(struct bufferevent_rate_limit_group* g,
                                         const struct ev_token_bucket_cfg* cfg) {
  if (g == nullptr || cfg == nullptr) {
    return -1;
  }
  const bool same_tick = evutil_timercmp(&g->cfg.tick_len, &cfg->tick_len, ==);
  g->cfg = *cfg;
  g->bucket.clip(*cfg);
  if (!same_tick) {
    event_add(&g->refill, &g->cfg.tick_len);
  }
  // The new rates may cap the min share differently.
  return bufferevent_rate_limit_group_set_min_share(g, g->configured_min_share);
}

// The share is capped at one tick's rate, so that at least one member can
// go each tick.
int bufferevent_rate_limit_group_set_min_share(struct bufferevent_rate_limit_group* g, size_t share) {
  if (share > static_cast<size_t>(EV_SSIZE_MAX)) {
    return -1;
  }
  g->configured_min_share = share;
  g->min_share = std::min({share, g->cfg.read_rate, g->cfg.write_rate});
  return 0;
}

// libevent requires an empty group; members still in it are let go.
void bufferevent_rate_limit_group_free(struct bufferevent_rate_limit_group* g) {
  if (g == nullptr) {
    return;
  }
  event_del(&g->refill);
  while (!g->members.empty()) {
    g->members.back()->rate_limit->leave_group();
  }
  delete g;
}

int bufferevent_add_to_rate_limit_group(struct bufferevent* bev, struct bufferevent_rate_limit_group* g) {
  const eddy::compat::LockHeld held(reinterpret_cast<const BufferEvent*>(bev)->lock);
  if (g == nullptr) {
    return bufferevent_remove_from_rate_limit_group(bev);
  }
  BufferEvent& b = BufferEvent::of(bev);
  RateLimit* rl = state_of(b);
  if (rl == nullptr) {
    return -1;
  }
  if (rl->group == g) {
    return 0;
  }
  rl->leave_group();
  try {
    g->members.push_back(&b);
  } catch (const std::bad_alloc&) {
    return -1;
  }
  rl->group = g;
  if (g->read_suspended) {
    b.suspend_read(BufferEvent::kSuspendRateGroup);
  }
  if (g->write_suspended) {
    b.suspend_write(BufferEvent::kSuspendRateGroup);
  }
  return 0;
}

int bufferevent_remove_from_rate_limit_group(struct bufferevent* bev) {
  const eddy::compat::LockHeld held(reinterpret_cast<const BufferEvent*>(bev)->lock);
  BufferEvent& b = BufferEvent::of(bev);
  if (b.rate_limit != nullptr) {
    b.rate_limit->leave_group();
  }
  return 0;
}

ev_ssize_t bufferevent_get_read_limit(struct bufferevent* bev) {
  const eddy::compat::LockHeld held(reinterpret_cast<const BufferEvent*>(bev)->lock);
  const RateLimit* rl = BufferEvent::of(bev).rate_limit.get();
  return rl != nullptr && rl->cfg != nullptr ? static_cast<ev_ssize_t>(rl->bucket.read) : EV_SSIZE_MAX;
}

ev_ssize_t bufferevent_get_write_limit(struct bufferevent* bev) {
  const eddy::compat::LockHeld held(reinterpret_cast<const BufferEvent*>(bev)->lock);
  const RateLimit* rl = BufferEvent::of(bev).rate_limit.get();
  return rl != nullptr && rl->cfg != nullptr ? static_cast<ev_ssize_t>(rl->bucket.write) : EV_SSIZE_MAX;
}

ev_ssize_t bufferevent_get_max_to_read(struct bufferevent* bev) {
  const eddy::compat::LockHeld held(reinterpret_cast<const BufferEvent*>(bev)->lock);
  return static_cast<ev_ssize_t>(eddy::compat::max_to_read(BufferEvent::of(bev)));
}

ev_ssize_t bufferevent_get_max_to_write(struct bufferevent* bev) {
  const eddy::compat::LockHeld held(reinterpret_cast<const BufferEvent*>(bev)->lock);
  return static_cast<ev_ssize_t>(eddy::compat::max_to_write(BufferEvent::of(bev)));
}

// libevent asserts a bufferevent limit of its own; eddy fails instead.
int bufferevent_decrement_read_limit(struct bufferevent* bev, ev_ssize_t decr) {
  const eddy::compat::LockHeld held(reinterpret_cast<const BufferEvent*>(bev)->lock);
  BufferEvent& b = BufferEvent::of(bev);
  if (b.rate_limit == nullptr || b.rate_limit->cfg == nullptr) {
    return -1;
  }
  b.rate_limit->bucket.read -= decr;
  eddy::compat::apply_read_bucket(b);
  return 0;
}

int bufferevent_decrement_write_limit(struct bufferevent* bev, ev_ssize_t decr) {
  const eddy::compat::LockHeld held(reinterpret_cast<const BufferEvent*>(bev)->lock);
  BufferEvent& b = BufferEvent::of(bev);
  if (b.rate_limit == nullptr || b.rate_limit->cfg == nullptr) {
    return -1;
  }
  b.rate_limit->bucket.write -= decr;
  eddy::compat::apply_write_bucket(b);
  return 0;
}

ev_ssize_t bufferevent_rate_limit_group_get_read_limit(struct bufferevent_rate_limit_group* g) {
  return static_cast<ev_ssize_t>(g->bucket.read);
}

ev_ssize_t bufferevent_rate_limit_group_get_write_limit(struct bufferevent_rate_limit_group* g) {
  return static_cast<ev_ssize_t>(g->bucket.write);
}

int bufferevent_rate_limit_group_decrement_read(struct bufferevent_rate_limit_group* g, ev_ssize_t decr) {
  g->bucket.read -= decr;
  if (g->bucket.read <= 0 && !g->read_suspended) {
    g->suspend_reading();
  } else if (g->bucket.read > 0 && g->read_suspended) {
    g->unsuspend_reading();
  }
  return 0;
}

int bufferevent_rate_limit_group_decrement_write(struct bufferevent_rate_limit_group* g, ev_ssize_t decr) {
  g->bucket.write -= decr;
  if (g->bucket.write <= 0 && !g->write_suspended) {
    g->suspend_writing();
  } else if (g->bucket.write > 0 && g->write_suspended) {
    g->unsuspend_writing();
  }
  return 0;
}

void bufferevent_rate_limit_group_get_totals(struct bufferevent_rate_limit_group* g, ev_uint64_t* total_read_out,
                                             ev_uint64_t* total_written_out) {
  if (total_read_out != nullptr) {
    *total_read_out = g->total_read;
  }
  if (total_written_out != nullptr) {
    *total_written_out = g->total_written;
  }
}

void bufferevent_rate_limit_group_reset_totals(struct bufferevent_rate_limit_group* g) {
  g->total_read = 0;
  g->total_written = 0;
}

}  // extern "C"
