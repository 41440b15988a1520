// The C entry points that act on a base or its configuration, and the
// libevent 1.x calls that use the current base.
#include "current_base.hpp"
#include "event_base.hpp"
#include "log.hpp"
#include "mem.hpp"

#include <event2/event_compat.h>
#include <event2/thread.h>

#include <cctype>
#include <cstdlib>
#include <new>
#include <set>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
event_base* event_global_current_base_ = nullptr;
}

using namespace eddy::compat;

struct event_config {
  std::set<std::string> avoided;
  int required_features = 0;
  int flags = 0;
};

namespace {

// libevent's names; "io_uring" is eddy's uring backend, chosen only when
// asked for (EDDY_BACKEND=uring or io_uring), since libevent never had it.
const char* supported_methods[] = {"epoll", "poll", "io_uring", nullptr};

// eddy's name for one of libevent's methods, or nullptr.
const char* backend_of(const std::string& method) {
  if (method == "epoll" || method == "poll") {
    return method == "epoll" ? "epoll" : "poll";
  }
  return method == "io_uring" ? "uring" : nullptr;
}

// libevent's environment variable that rules a method out: EVENT_NOEPOLL,
// EVENT_NOPOLL, EVENT_NOIO_URING.
std::string disabling_variable(const std::string& method) {
  std::string name = "EVENT_NO";
  for (const char c : method) {
    name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

int features_of(const std::string& method) {
  return method != "poll" ? EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE
                          : EV_FEATURE_FDS | EV_FEATURE_EARLY_CLOSE;
}

// The backend for a configuration: EDDY_BACKEND first when set, then
// libevent's preference order, skipping methods the configuration (or, as
// in libevent, EVENT_NOEPOLL / EVENT_NOPOLL) rules out.
event_base* make_base(const event_config* config) {
  const int flags = config != nullptr ? config->flags : 0;
  const bool use_env = (flags & EVENT_BASE_FLAG_IGNORE_ENV) == 0;
  std::vector<std::string> order;
  if (const char* chosen = std::getenv("EDDY_BACKEND"); chosen != nullptr && *chosen != '\0') {
    order.emplace_back(std::string_view(chosen) == "uring" ? "io_uring" : chosen);
  }
  order.emplace_back("epoll");
  order.emplace_back("poll");
  for (const std::string& method : order) {
    const char* backend = backend_of(method);
    if (backend == nullptr) {
      EDDY_COMPAT_WARN("EDDY_BACKEND=%s is not a backend (epoll, poll or uring)", method.c_str());
      return nullptr;
    }
    if (config != nullptr && config->avoided.count(method) != 0) {
      continue;
    }
    if (config != nullptr && (features_of(method) & config->required_features) != config->required_features) {
      continue;
    }
    if (use_env && std::getenv(disabling_variable(method).c_str()) != nullptr) {
      continue;
    }
    try {
      auto* base = mem_new<event_base>(backend, flags);
      if (base == nullptr) {
        EDDY_COMPAT_WARN("event_base_new: out of memory");
        return nullptr;
      }
      if (use_env && std::getenv("EVENT_SHOW_METHOD") != nullptr) {
        log_message(EVENT_LOG_MSG, "libevent using: %s", event_base_get_method(base));
      }
      return base;
    } catch (const std::exception& e) {
      EDDY_COMPAT_WARN("event_base_new: %s", e.what());
      return nullptr;
    }
  }
  EDDY_COMPAT_WARN("No event method available that meets the configuration");
  return nullptr;
}

}  // namespace

extern "C" {

struct event_config* event_config_new(void) {
  try {
    return mem_new<event_config>();
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void event_config_free(struct event_config* cfg) { mem_delete(cfg); }

int event_config_avoid_method(struct event_config* cfg, const char* method) {
  try {
    cfg->avoided.insert(method);
  } catch (const std::bad_alloc&) {
    return -1;
  }
  return 0;
}

int event_config_require_features(struct event_config* cfg, int features) {
  cfg->required_features = features;
  return 0;
}

int event_config_set_flag(struct event_config* cfg, int flag) {
  cfg->flags |= flag;
  return 0;
}

// Hints that only matter on Windows or to libevent's scheduler.
int event_config_set_num_cpus_hint(struct event_config*, int) { return 0; }
int event_config_set_max_dispatch_interval(struct event_config*, const struct timeval*, int, int) { return 0; }

struct event_base* event_base_new(void) { return make_base(nullptr); }
struct event_base* event_base_new_with_config(const struct event_config* cfg) { return make_base(cfg); }

void event_base_free(struct event_base* base) {
  if (base == nullptr) {
    base = current_base;
  }
  if (base == nullptr) {
    EDDY_COMPAT_WARN("event_base_free: no base to free");
    return;
  }
  if (base == current_base) {
    current_base = nullptr;
  }
  mem_delete(base);
}

void event_base_free_nofinalize(struct event_base* base) {
  if (base == nullptr) {
    base = current_base;
  }
  if (base != nullptr) {
    base->run_finalizers_on_free = false;
  }
  event_base_free(base);
}

int event_reinit(struct event_base* base) { return base->reinit(); }

const char* event_base_get_method(const struct event_base* base) {
  const std::string_view backend = base->io_loop.backend_name();
  return backend == "epoll" ? supported_methods[0] : backend == "poll" ? supported_methods[1] : supported_methods[2];
}

const char** event_get_supported_methods(void) { return supported_methods; }

int event_base_get_features(const struct event_base* base) { return base->features; }

int event_base_priority_init(struct event_base* base, int n) { return base->set_priorities(n); }
int event_base_get_npriorities(struct event_base* base) { return base->active.priorities(); }

int event_base_get_num_events(struct event_base* base, unsigned int flags) {
  int n = 0;
  if ((flags & EVENT_BASE_COUNT_ACTIVE) != 0) {
    n += base->active_count();
  }
  if ((flags & EVENT_BASE_COUNT_VIRTUAL) != 0) {
    n += base->virtual_count;
  }
  if ((flags & EVENT_BASE_COUNT_ADDED) != 0) {
    n += base->event_count;
  }
  return n;
}

int event_base_get_max_events(struct event_base* base, unsigned int flags, int clear) {
  int n = 0;
  if ((flags & EVENT_BASE_COUNT_ACTIVE) != 0) {
    n += base->active_count_max;
    if (clear != 0) {
      base->active_count_max = 0;
    }
  }
  if ((flags & EVENT_BASE_COUNT_VIRTUAL) != 0) {
    n += base->virtual_count_max;
    if (clear != 0) {
      base->virtual_count_max = 0;
    }
  }
  if ((flags & EVENT_BASE_COUNT_ADDED) != 0) {
    n += base->event_count_max;
    if (clear != 0) {
      base->event_count_max = 0;
    }
  }
  return n;
}

int event_gettime_monotonic(struct event_base* base, struct timeval* tp) {
  if (base == nullptr || tp == nullptr) {
    return -1;
  }
  *tp = base->now();
  return 0;
}

int event_base_gettimeofday_cached(struct event_base* base, struct timeval* tv) {
  if (base == nullptr) {
    base = current_base;
  }
  if (base == nullptr || !base->time_cached) {
    return ::gettimeofday(tv, nullptr);
  }
  const timeval offset = base->clock_offset();
  timeradd(&base->cached_time, &offset, tv);
  return 0;
}

int event_base_update_cache_time(struct event_base* base) {
  if (base == nullptr) {
    return -1;
  }
  if (base->time_cached) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        eddy::Clock::now().time_since_epoch())
                        .count();
    base->cached_time = {static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
  }
  return 0;
}

void event_base_dump_events(struct event_base* base, FILE* out) { base->dump(out); }

int event_base_foreach_event(struct event_base* base, event_base_foreach_event_cb fn, void* arg) {
  if (base == nullptr || fn == nullptr) {
    return -1;
  }
  // Collected first: the walk then does not depend on the lists, which the
  // callback must not change anyway.
  std::vector<event*> events;
  try {
    events = base->all_events();
  } catch (const std::bad_alloc&) {
    return -1;
  }
  for (const event* ev : events) {
    if (int r = fn(base, ev, arg); r != 0) {
      return r;
    }
  }
  return 0;
}

void event_base_active_by_fd(struct event_base* base, evutil_socket_t fd, short events) {
  base->on_loop_thread([&] {
    // As in libevent: with EV_TIMEOUT, the events on `fd` that have a
    // timeout time out now, and readiness is not simulated.
    // (Activating leaves the timeout heap as it is, so it can be walked.)
    if ((events & EV_TIMEOUT) != 0) {
      for (std::size_t i = 0; i < base->timeouts.size(); ++i) {
        if (base->timeouts.at(i)->ev_fd == fd) {
          base->activate(base->timeouts.at(i), EV_TIMEOUT, 1);
        }
      }
      return;
    }
    events &= EV_READ | EV_WRITE | EV_CLOSED;
    for (event* ev = base->fds.first(fd); ev != nullptr; ev = ev->ev_.ev_io.ev_io_next.next) {
      if ((ev->ev_events & events) != 0) {
        base->activate(ev, ev->ev_events & events, 1);
      }
    }
  });
}

void event_base_active_by_signal(struct event_base* base, int sig) {
  base->on_loop_thread([&] {
    for (event* ev = base->signals.first(sig); ev != nullptr; ev = ev->ev_.ev_signal.ev_signal_next.next) {
      base->activate(ev, EV_SIGNAL, 1);
    }
  });
}

struct event* event_base_get_running_event(struct event_base* base) { return base->current_event; }

// Not in libevent's public headers, but exported by libevent and called by
// code built with its private ones (its regression tests, and libevent's
// own evdns, which keeps a base's loop alive while a lookup is pending):
// a "virtual" event keeps the loop from exiting for want of events, and
// counts in EVENT_BASE_COUNT_VIRTUAL.
void event_base_add_virtual_(struct event_base* base);
void event_base_del_virtual_(struct event_base* base);

void event_base_add_virtual_(struct event_base* base) {
  base->on_loop_thread([&] {
    ++base->virtual_count;
    if (base->virtual_count > base->virtual_count_max) {
      base->virtual_count_max = base->virtual_count;
    }
  });
}

void event_base_del_virtual_(struct event_base* base) {
  base->on_loop_thread([&] {
    if (base->virtual_count > 0) {
      --base->virtual_count;
    }
  });
}

const struct timeval* event_base_init_common_timeout(struct event_base* base, const struct timeval* duration) {
  try {
    return base->common_timeout(duration);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

int event_base_dispatch(struct event_base* base) { return event_base_loop(base, 0); }

int event_base_loop(struct event_base* base, int flags) { return base->loop(flags); }

int event_base_loopexit(struct event_base* base, const struct timeval* tv) {
  if (base == nullptr) {
    return -1;
  }
  return base->on_loop_thread([&] {
    return base->once(
        -1, EV_TIMEOUT, [](evutil_socket_t, short, void* arg) { static_cast<event_base*>(arg)->got_exit = true; },
        base, tv);
  });
}

int event_base_loopbreak(struct event_base* base) {
  if (base == nullptr) {
    return -1;
  }
  base->got_break.store(true, std::memory_order_relaxed);
  if (base->is_foreign_thread()) {
    base->io_loop.post([] {});  // wakes the loop
  }
  return 0;
}

int event_base_loopcontinue(struct event_base* base) {
  if (base == nullptr) {
    return -1;
  }
  base->continue_requested = true;
  return 0;
}

int event_base_got_exit(struct event_base* base) { return base->got_exit ? 1 : 0; }
int event_base_got_break(struct event_base* base) { return base->got_break.load(std::memory_order_relaxed) ? 1 : 0; }

int event_base_once(struct event_base* base, evutil_socket_t fd, short events, event_callback_fn callback, void* arg,
                    const struct timeval* tv) {
  if (base == nullptr) {
    return -1;
  }
  return base->on_loop_thread([&] { return base->once(fd, events, callback, arg, tv); });
}

// The libevent 1.x calls on the current base.
struct event_base* event_init(void) {
  event_base* base = event_base_new_with_config(nullptr);
  if (base != nullptr) {
    current_base = base;
  }
  return base;
}

int event_dispatch(void) { return event_loop(0); }
int event_loop(int flags) { return current_base != nullptr ? event_base_loop(current_base, flags) : -1; }
int event_loopexit(const struct timeval* tv) { return event_base_loopexit(current_base, tv); }
int event_loopbreak(void) { return event_base_loopbreak(current_base); }
int event_once(evutil_socket_t fd, short events, void (*callback)(evutil_socket_t, short, void*), void* arg,
               const struct timeval* tv) {
  return event_base_once(current_base, fd, events, callback, arg, tv);
}
const char* event_get_method(void) { return current_base != nullptr ? event_base_get_method(current_base) : nullptr; }
int event_priority_init(int n) { return current_base != nullptr ? event_base_priority_init(current_base, n) : -1; }

// The version of libevent whose API this is, exactly as libevent gives it:
// programs compare it with LIBEVENT_VERSION from the headers they were
// built with.
const char* event_get_version(void) { return LIBEVENT_VERSION; }
ev_uint32_t event_get_version_number(void) { return LIBEVENT_VERSION_NUMBER; }

void libevent_global_shutdown(void) {}

}  // extern "C"
