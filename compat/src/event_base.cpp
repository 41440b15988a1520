#include "event_base.hpp"

#include "common_timeouts.hpp"
#include "log.hpp"

#include "loop_core.hpp"
#include "poller/poller.hpp"

#include <ctime>
#include <new>
#include <system_error>

using namespace eddy::compat;

namespace {

timeval to_timeval(eddy::TimePoint t) noexcept {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  return {static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

timeval monotonic_now() noexcept { return to_timeval(eddy::Clock::now()); }

eddy::Duration to_duration(const timeval& tv) noexcept {
  return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

}  // namespace

// A heap-allocated event for event_base_once(): freed after its callback,
// or with the base if it never fires.
struct event_base::OnceEvent {
  struct event ev;
  event_callback_fn callback;
  void* arg;
  OnceEvent* next;
  OnceEvent** prev_next;
};

namespace {

void unlink_once(event_base::OnceEvent* once) noexcept {
  if (once->next != nullptr) {
    once->next->prev_next = once->prev_next;
  }
  *once->prev_next = once->next;
}

void run_once_event(evutil_socket_t fd, short what, void* arg) {
  auto* once = static_cast<event_base::OnceEvent*>(arg);
  const event_callback_fn callback = once->callback;
  void* user_arg = once->arg;
  unlink_once(once);
  delete once;
  callback(fd, what, user_arg);
}

}  // namespace

event_base::event_base(const std::string& backend, int config_flags)
    : io_loop(eddy::LoopOptions{backend}),
      features(io_loop.backend_name() != "poll" ? EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE
                                                 : EV_FEATURE_FDS | EV_FEATURE_EARLY_CLOSE),
      cache_time((config_flags & EVENT_BASE_FLAG_NO_CACHE_TIME) == 0),
      fds(io_loop, (features & EV_FEATURE_ET) != 0, (features & EV_FEATURE_EARLY_CLOSE) != 0,
          [this](int fd, unsigned events) { on_ready(fd, events); }),
      signals(io_loop, [this](int signo, int times) { on_signal(signo, times); }) {}

event_base::~event_base() {
  if (lookup_mailbox) {
    // A lookup still running keeps its result to itself from now on.
    const std::lock_guard lock(lookup_mailbox->mutex);
    lookup_mailbox->loop = nullptr;
  }
  // Every event still in the base leaves it, as in libevent; clearing
  // their flags also makes a later event_del() or event_free() of them a
  // no-op that does not touch the freed base.
  while (OnceEvent* once = onces) {
    del(&once->ev);
    unlink_once(once);
    delete once;
  }
  for (int fd = 0; fd < fds.fd_limit(); ++fd) {
    while (event* ev = fds.first(fd)) {
      del(ev);
    }
  }
  for (int signo = 1; signo < NSIG; ++signo) {
    while (event* ev = signals.first(signo)) {
      del(ev);
    }
  }
  while (!timeouts.empty()) {
    del(timeouts.top());
  }
  for (int pri = 0; pri < active.priorities(); ++pri) {
    while (event* ev = active.front(pri)) {
      drop_queued(ev);
    }
  }
  while (event* ev = later.front()) {
    drop_queued(ev);
  }
  fds.clear();
}

timeval event_base::now() const noexcept { return time_cached ? cached_time : monotonic_now(); }

timeval event_base::clock_offset() noexcept {
  constexpr time_t kRemeasureSeconds = 5;
  const timeval mono = monotonic_now();
  if (clock_diff_measured < 0 || mono.tv_sec >= clock_diff_measured + kRemeasureSeconds) {
    timeval real{};
    ::gettimeofday(&real, nullptr);
    timersub(&real, &mono, &clock_diff);
    clock_diff_measured = mono.tv_sec;
  }
  return clock_diff;
}

void event_base::update_time_cache() noexcept {
  time_cached = cache_time && running;
  if (time_cached) {
    cached_time = to_timeval(io_loop.now());
  }
}

void event_base::insert_timeout(event* ev) {
  timeouts.push(ev);
  count_in(ev, EVLIST_TIMEOUT);
}

void event_base::remove_timeout(event* ev) noexcept {
  timeouts.remove(ev);
  count_out(ev, EVLIST_TIMEOUT);
}

int event_base::add(event* ev, const timeval* timeout_in, bool absolute) {
  timeval duration{};
  const timeval* timeout = timeout_in;
  if (timeout_in != nullptr && !absolute) {
    duration = common_timeout_duration(*timeout_in);
    timeout = &duration;
  }
  if ((flags_of(ev) & ~EVLIST_ALL) != 0) {
    EDDY_COMPAT_WARN("event_add: event has bad flags");
    return -1;
  }
  if (has_flag(ev, EVLIST_FINALIZING)) {
    return -1;  // as libevent: it is on its way out
  }
  // Reserve first: a failure further down must leave the event unchanged.
  if (timeout != nullptr && !has_flag(ev, EVLIST_TIMEOUT)) {
    timeouts.reserve_one_more();
  }
  int result = 0;
  // An event that is active but not added is not registered here: libevent
  // registers it only once it is neither (its callback re-adds it).
  if ((ev->ev_events & (EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL)) != 0 &&
      !has_flag(ev, EVLIST_INSERTED | EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) {
    result = is_io(ev) ? fds.add(ev) : signals.add(ev);
    if (result == 0) {
      count_in(ev, EVLIST_INSERTED);
    }
  }
  if (result == 0 && timeout != nullptr) {
    if (closure_of(ev) == kClosurePersist && !absolute) {
      persist_timeout(ev) = *timeout;
    }
    if (has_flag(ev, EVLIST_TIMEOUT)) {
      remove_timeout(ev);
    }
    // Rescheduling the timeout of an event that is active because of its
    // timeout cancels that activation.
    if (has_flag(ev, EVLIST_ACTIVE) && (ev->ev_res & EV_TIMEOUT) != 0) {
      if (is_signal(ev) && ev->ev_.ev_signal.ev_ncalls != 0 && ev->ev_.ev_signal.ev_pncalls != nullptr) {
        *ev->ev_.ev_signal.ev_pncalls = 0;
      }
      remove_active(ev);
    }
    if (absolute) {
      ev->ev_timeout = *timeout;
    } else {
      const timeval start = now();
      timeradd(&start, timeout, &ev->ev_timeout);
    }
    insert_timeout(ev);
  }
  return result;
}

int event_base::del_if_added(event* ev) noexcept {
  return needs_delete(ev) ? del(ev) : 0;
}

int event_base::del(event* ev) noexcept {
  // A signal callback running in a loop of ev_ncalls calls stops.
  if (is_signal(ev) && ev->ev_.ev_signal.ev_ncalls != 0 && ev->ev_.ev_signal.ev_pncalls != nullptr) {
    *ev->ev_.ev_signal.ev_pncalls = 0;
  }
  if (has_flag(ev, EVLIST_TIMEOUT)) {
    remove_timeout(ev);
  }
  if (has_flag(ev, EVLIST_ACTIVE)) {
    remove_active(ev);
  } else if (has_flag(ev, EVLIST_ACTIVE_LATER)) {
    later.remove(ev);
    count_out(ev, EVLIST_ACTIVE_LATER);
  }
  if (has_flag(ev, EVLIST_INSERTED)) {
    count_out(ev, EVLIST_INSERTED);
    if (is_io(ev)) {
      fds.remove(ev);
    } else {
      signals.remove(ev);
    }
  }
  return 0;
}

int event_base::remove_timer(event* ev) noexcept {
  if (has_flag(ev, EVLIST_TIMEOUT)) {
    remove_timeout(ev);
    timerclear(&persist_timeout(ev));
  }
  return 0;
}

void event_base::activate(event* ev, int res, short ncalls) noexcept {
  if (has_flag(ev, EVLIST_FINALIZING | EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) {
    activate_queued(ev, res, ncalls);
    return;
  }
  queue_active(ev, res, ncalls);
}

// activate() for an event that is finalizing or in an active list already.
// Out of line: the common case, an event in no list, needs no frame.
[[gnu::noinline]] void event_base::activate_queued(event* ev, int res, short ncalls) noexcept {
  if (has_flag(ev, EVLIST_FINALIZING)) {
    return;
  }
  if (has_flag(ev, EVLIST_ACTIVE)) {
    ev->ev_res = static_cast<short>(ev->ev_res | res);
    return;
  }
  // Due now rather than later: out of the later list, flags kept.
  later.remove(ev);
  count_out(ev, EVLIST_ACTIVE_LATER);
  queue_active(ev, res | ev->ev_res, ncalls);
}

void event_base::queue_active(event* ev, int res, short ncalls) noexcept {
  ev->ev_res = static_cast<short>(res);
  // A more urgent event than the ones running: let it run first.
  if (priority_of(ev) < running_priority) {
    continue_requested = true;
  }
  if (is_signal(ev)) {
    ev->ev_.ev_signal.ev_ncalls = ncalls;
    ev->ev_.ev_signal.ev_pncalls = nullptr;
  }
  active.push_back(ev);
  count_in(ev, EVLIST_ACTIVE);
  if (active.size() > active_count_max) {
    active_count_max = active.size();
  }
}

void event_base::activate_later(event* ev, int res) noexcept {
  if (has_flag(ev, EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) {
    ev->ev_res = static_cast<short>(ev->ev_res | res);
    return;
  }
  ev->ev_res = static_cast<short>(res);
  later.push_back(ev);
  count_in(ev, EVLIST_ACTIVE_LATER);
}

void event_base::make_later_active() noexcept {
  while (event* ev = later.front()) {
    if (!is_event(ev)) {
      activate_callback(as_callback(ev), false);
      continue;
    }
    later.remove(ev);
    count_out(ev, EVLIST_ACTIVE_LATER);
    activate(ev, ev->ev_res, 1);
  }
}

namespace {

// libevent's backends translate an error or a hangup differently: epoll
// reports it as readable and writable, except a hangup that comes with
// the peer's close (EPOLLRDHUP), which is reported bit for bit; poll adds
// readable and writable to whatever else the kernel said. libevent's epoll
// backend also reports EV_ET along with the readiness, so an edge-triggered
// event sees it in its callback's flags.
constexpr short libevent_what(unsigned events, bool epoll) noexcept {
  const bool peer_closed = (events & eddy::kPeerClosed) != 0;
  int what = 0;
  if ((events & eddy::kError) != 0 || ((events & eddy::kHangup) != 0 && !(epoll && peer_closed))) {
    what = EV_READ | EV_WRITE;
  }
  if (!epoll || what == 0) {
    if ((events & eddy::kReadable) != 0) {
      what |= EV_READ;
    }
    if ((events & eddy::kWritable) != 0) {
      what |= EV_WRITE;
    }
    if (peer_closed) {
      what |= EV_CLOSED;
    }
  }
  if (what != 0 && epoll) {
    what |= EV_ET;
  }
  return static_cast<short>(what);
}

// The same by table, once per ready fd: the five bits a wait reports.
constexpr unsigned kReadyBits = eddy::kReadable | eddy::kWritable | eddy::kError | eddy::kHangup | eddy::kPeerClosed;
static_assert(kReadyBits == 0x1FU);
struct WhatTable {
  short what[2][32];
  constexpr WhatTable() : what{} {
    for (unsigned i = 0; i < 32; ++i) {
      what[0][i] = libevent_what(i, false);
      what[1][i] = libevent_what(i, true);
    }
  }
};
constexpr WhatTable kWhatTable;

}  // namespace

void event_base::on_ready(int fd, unsigned events) noexcept {
  const short what = kWhatTable.what[(features & EV_FEATURE_ET) != 0 ? 1 : 0][events & kReadyBits];
  if (what == 0) {
    return;
  }
  for (event* ev = fds.first(fd); ev != nullptr; ev = ev->ev_.ev_io.ev_io_next.next) {
    if ((ev->ev_events & what & ~EV_ET) != 0) {
      activate(ev, ev->ev_events & what, 1);
    }
  }
}

void event_base::on_signal(int signo, int times) noexcept {
  for (event* ev = signals.first(signo); ev != nullptr; ev = ev->ev_.ev_signal.ev_signal_next.next) {
    activate(ev, EV_SIGNAL, static_cast<short>(times));
  }
}

void event_base::expire_timeouts() noexcept {
  const timeval current = now();
  while (!timeouts.empty()) {
    event* ev = timeouts.top();
    if (timercmp(&ev->ev_timeout, &current, >)) {
      break;
    }
    // Out of everything first (a persistent event is re-added by its
    // closure), then due with EV_TIMEOUT.
    del(ev);
    activate(ev, EV_TIMEOUT, 1);
  }
}

void event_base::run_persist_closure(event* ev) noexcept {
  if (timerisset(&persist_timeout(ev))) {
    rearm_persist_timeout(ev);
  }
  callback_of(ev)(ev->ev_fd, ev->ev_res, arg_of(ev));
}

// Out of line, so that a persistent event without a timeout (a socket's,
// mostly) reaches its callback without a frame.
[[gnu::noinline]] void event_base::rearm_persist_timeout(event* ev) noexcept {
  const timeval& delay = persist_timeout(ev);
  const timeval current = now();
  // Measured from the expired deadline when the timeout fired, so a
  // periodic event does not drift; from now when something else did.
  timeval run_at{};
  if ((ev->ev_res & EV_TIMEOUT) != 0) {
    timeradd(&ev->ev_timeout, &delay, &run_at);
  } else {
    timeradd(&current, &delay, &run_at);
  }
  if (timercmp(&run_at, &current, <)) {
    timeradd(&current, &delay, &run_at);
  }
  add(ev, &run_at, true);
}

void event_base::run_signal_closure(event* ev) noexcept {
  // The count lives in the base (one loop runs per base at a time) so that
  // event_del() inside the callback can zero it through ev_pncalls.
  signal_calls_left = ev->ev_.ev_signal.ev_ncalls;
  if (signal_calls_left != 0) {
    ev->ev_.ev_signal.ev_pncalls = &signal_calls_left;
  }
  while (signal_calls_left != 0) {
    --signal_calls_left;
    ev->ev_.ev_signal.ev_ncalls = signal_calls_left;
    if (signal_calls_left == 0) {
      ev->ev_.ev_signal.ev_pncalls = nullptr;
    }
    callback_of(ev)(ev->ev_fd, ev->ev_res, arg_of(ev));
    if (got_break.load(std::memory_order_relaxed)) {
      break;
    }
  }
  // Calls still owed mean the event was not deleted (deleting zeroes the
  // count), so it is still there to unhook.
  if (signal_calls_left != 0) {
    ev->ev_.ev_signal.ev_pncalls = nullptr;
  }
}

int event_base::run_queue(int priority) noexcept {
  int count = 0;
  while (event* ev = active.front(priority)) {
    if (!is_event(ev)) {
      remove_active(ev);
      ++count;
      current_event = nullptr;  // libevent reports no event for these
      if (closure_of(ev) == kClosureCallbackSelf) {
        ev->ev_evcallback.evcb_cb_union.evcb_selfcb(as_callback(ev), arg_of(ev));
      } else {
        run_finalizer(ev);
      }
      if (got_break.load(std::memory_order_relaxed)) {
        return -1;
      }
      if (continue_requested) {
        break;
      }
      continue;
    }
    if ((ev->ev_events & EV_PERSIST) != 0) {
      remove_active(ev);
    } else {
      del(ev);
    }
    if (!has_flag(ev, EVLIST_INTERNAL)) {
      ++count;
    }
    current_event = ev;
    switch (closure_of(ev)) {
      case kClosureFinalize:
      case kClosureFinalizeFree:
      case kClosureCallbackFinalize:
        current_event = nullptr;  // the finalizer may free it
        run_finalizer(ev);
        break;
      case kClosureSignal:
        run_signal_closure(ev);
        break;
      case kClosurePersist:
        run_persist_closure(ev);
        break;
      default:
        callback_of(ev)(ev->ev_fd, ev->ev_res, arg_of(ev));
        break;
    }
    current_event = nullptr;
    if (got_break.load(std::memory_order_relaxed)) {
      return -1;
    }
    if (continue_requested) {
      break;
    }
  }
  return count;
}

// Runs the most urgent non-empty queue; returns the number of callbacks
// run, or -1 when event_base_loopbreak() was called.
int event_base::run_active() noexcept {
  int count = 0;
  for (int pri = 0; pri < active.priorities(); ++pri) {
    if (active.front(pri) == nullptr) {
      continue;
    }
    running_priority = pri;
    count = run_queue(pri);
    running_priority = -1;
    if (count != 0) {
      break;
    }
  }
  return count;
}

int event_base::loop(int flags) {
  if (running) {
    EDDY_COMPAT_WARN("event_base_loop: reentrant invocation.  Only one event_base_loop can run on each event_base at once.");
    return -1;
  }
  running = true;
  {
    const std::lock_guard lock(handover_mutex);
    loop_thread.store(std::this_thread::get_id(), std::memory_order_release);
  }
  signals.claim();
  got_exit = false;
  got_break.store(false, std::memory_order_relaxed);
  int result = 0;
  bool done = false;
  try {
    while (!done) {
      continue_requested = false;
      if (got_exit || got_break.load(std::memory_order_relaxed)) {
        break;
      }
      std::optional<eddy::Duration> wait = eddy::Duration::zero();
      if (active_count() == 0 && (flags & EVLOOP_NONBLOCK) == 0) {
        wait.reset();
        if (!timeouts.empty()) {
          const timeval current = monotonic_now();
          timeval until{};
          if (timercmp(&timeouts.top()->ev_timeout, &current, >)) {
            timersub(&timeouts.top()->ev_timeout, &current, &until);
          }
          wait = to_duration(until);
        }
      }
      if ((flags & EVLOOP_NO_EXIT_ON_EMPTY) == 0 && !has_events() && active_count() == 0) {
        result = 1;
        break;
      }
      make_later_active();
      time_cached = false;
      io_loop.run_once(wait);
      run_foreign_calls();
      update_time_cache();
      expire_timeouts();
      if (active_count() != 0) {
        const int ran = run_active();
        if ((flags & EVLOOP_ONCE) != 0 && active_count() == 0 && ran != 0) {
          done = true;
        }
      } else if ((flags & EVLOOP_NONBLOCK) != 0) {
        done = true;
      }
    }
  } catch (const std::exception& e) {
    EDDY_COMPAT_WARN("event_base_loop: %s", e.what());
    result = -1;
  }
  // Socket bufferevents on completions send by request, which goes in
  // with the next wait: the program, back from the loop, may expect what
  // its callbacks wrote to be in the kernel, as after a write(2).
  if (eddy::detail::CompletionIo* requests = io_loop.core().completions()) {
    requests->submit_started();
  }
  time_cached = false;
  stop_taking_foreign_calls();
  running = false;
  return result;
}

int event_base::set_priorities(int n) {
  if (active_count() != 0 || n < 1 || n >= EVENT_MAX_PRIORITIES) {
    return -1;
  }
  if (n != active.priorities()) {
    active.resize(n);
  }
  return 0;
}

int event_base::once(evutil_socket_t fd, short events, event_callback_fn cb, void* arg, const timeval* timeout) {
  // A signal cannot fire just once, and a persistent event is not "once".
  if ((events & (EV_SIGNAL | EV_PERSIST)) != 0) {
    return -1;
  }
  bool activate_now = false;
  short kind = 0;
  if ((events & (EV_TIMEOUT | EV_SIGNAL | EV_READ | EV_WRITE | EV_CLOSED)) == EV_TIMEOUT) {
    activate_now = timeout == nullptr || !timerisset(timeout);
    fd = -1;
  } else if ((events & (EV_READ | EV_WRITE | EV_CLOSED)) != 0) {
    kind = static_cast<short>(events & (EV_READ | EV_WRITE | EV_CLOSED));
  } else {
    return -1;
  }
  auto* once = new (std::nothrow) OnceEvent{};
  if (once == nullptr) {
    return -1;
  }
  once->callback = cb;
  once->arg = arg;
  event_assign(&once->ev, this, fd, kind, run_once_event, once);
  if (activate_now) {
    activate(&once->ev, EV_TIMEOUT, 1);
  } else if (add(&once->ev, timeout, false) != 0) {
    delete once;
    return -1;
  }
  once->next = onces;
  if (onces != nullptr) {
    onces->prev_next = &once->next;
  }
  onces = once;
  once->prev_next = &onces;
  return 0;
}

int event_base::reinit() {
  try {
    io_loop.reinit_after_fork();
  } catch (const std::exception& e) {
    EDDY_COMPAT_WARN("event_reinit: %s", e.what());
    return -1;
  }
  return signals.reinit();
}
