#pragma once

#include "active_queues.hpp"
#include "event_fields.hpp"
#include "fd_map.hpp"
#include "hostname_lookup.hpp"
#include "signal_map.hpp"
#include "timeout_heap.hpp"

#include <eddy/loop.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// libevent's internal "activate in the next iteration", which it exports
// (event_api.cpp); without waiting when called from another thread.
extern "C" void event_active_later_(struct event* ev, int res);

// One libevent event_base: an eddy Loop plus libevent's bookkeeping of
// events (which are added, which have timeouts, which are active and in
// what order their callbacks run). The loop follows libevent 2.1's
// event_base_loop(): wait in the backend (eddy's Loop, whose I/O and signal
// callbacks only activate events), then expire timeouts, then run the
// active events of the most urgent priority. docs/compat.md has the detail.
struct event_base {
  event_base(const std::string& backend, int config_flags);
  ~event_base();

  event_base(const event_base&) = delete;
  event_base& operator=(const event_base&) = delete;

  // The operations behind the C API, on the loop's thread.
  int add(event* ev, const timeval* timeout, bool absolute);
  int del(event* ev) noexcept;
  // del() when needs_delete(ev); on the loop's thread, where the flags
  // are current.
  int del_if_added(event* ev) noexcept;
  void activate(event* ev, int res, short ncalls) noexcept;
  // Activates `ev` at the start of the next loop iteration rather than in
  // this one (libevent's "active later": deferred callbacks).
  void activate_later(event* ev, int res) noexcept;
  int remove_timer(event* ev) noexcept;
  // event_finalize(): deletes `ev` and queues its finalizer, which runs
  // from the loop in its turn (or when the base is freed), as libevent's
  // does; `ev` is then neither added nor activated again.
  void finalize(event* ev, event_finalize_callback_fn finalizer, bool free_after) noexcept;
  // The same for a bare event_callback (libevent's deferred callbacks),
  // kept in the same queues through the struct event it would start:
  // only its event_callback members are touched. activate_callback()
  // returns false when it was already queued.
  bool activate_callback(event_callback* cb, bool next_iteration) noexcept;
  bool cancel_callback(event_callback* cb) noexcept;
  void finalize_callback(event_callback* cb, void (*finalizer)(event_callback*, void*)) noexcept;
  int loop(int flags);
  int set_priorities(int n);
  int once(evutil_socket_t fd, short events, event_callback_fn cb, void* arg, const timeval* timeout);
  int reinit();
  void dump(FILE* out);
  // Every event in the base once, in libevent's order for
  // event_base_foreach_event(): events on fds, on signals, timers in
  // neither, then events that are only active (this iteration or the next).
  std::vector<event*> all_events() const;
  // event_base_init_common_timeout(): the base's one timeval for this
  // duration; nullptr when 256 are in use.
  const timeval* common_timeout(const timeval* duration);

  // Monotonic time as libevent's timeouts use it: cached during callbacks.
  timeval now() const noexcept;
  // Realtime clock minus monotonic clock, to report deadlines as dates.
  // Re-measured at most every 5 s, as libevent does, so that a cached date
  // stays the same while the cache does.
  timeval clock_offset() noexcept;

  // True when the caller is not the thread running this base's loop (while
  // one does): the caller's request is then handed to that thread.
  bool is_foreign_thread() const noexcept {
    const std::thread::id runner = loop_thread.load(std::memory_order_acquire);
    return runner != std::thread::id{} && runner != std::this_thread::get_id();
  }
  // Runs f() on the loop's thread, and returns its result: right here when
  // the caller is that thread; right here too, under handover_mutex, when no
  // thread runs the loop (several threads may set a base up before one
  // dispatches it); else queued for the loop's thread (foreign_calls),
  // waiting for it to run. For calls that answer something or must be done
  // when they return (event_del waits out a callback in progress).
  template <typename F>
  auto on_loop_thread(F f) -> decltype(f());
  // The same without waiting, for calls that libevent makes without waiting
  // for the loop (event_add, event_active, a bufferevent's own changes of
  // interest): the caller may hold a lock (a bufferevent's, or its own) that
  // a callback on the loop's thread is waiting for, so waiting here could
  // never end. Calls from one thread run in the order they were made,
  // waiting or not, and all those made before the loop's wait returned run
  // before the callbacks of what the wait found. Returns f()'s int when it
  // ran here, 0 when it was queued.
  template <typename F>
  int on_loop_thread_nowait(F f);

  bool has_events() const noexcept { return event_count > 0 || virtual_count > 0; }
  int active_count() const noexcept { return active.size() + later.size(); }

  eddy::Loop io_loop;
  // Blocks for the buffers of this base's bufferevents, so that steady
  // traffic allocates nothing. Shared: a bufferevent freed after its base
  // (libevent allows it) still has somewhere to give its blocks back.
  int features;
  bool cache_time;
  eddy::compat::ActiveQueues active;
  eddy::compat::EventQueue later;  // EVLIST_ACTIVE_LATER
  eddy::compat::TimeoutHeap timeouts;
  eddy::compat::FdMap fds;
  eddy::compat::SignalMap signals;

  // User events counted once per structure they are in (added, timeout,
  // active), as libevent counts them for event_base_get_num_events().
  int event_count = 0;
  int event_count_max = 0;
  int active_count_max = 0;
  int virtual_count = 0;
  int virtual_count_max = 0;

  // event_base_free() runs the finalizers still queued;
  // event_base_free_nofinalize() clears this first.
  bool run_finalizers_on_free = true;
  bool running = false;
  bool got_exit = false;
  std::atomic<bool> got_break{false};
  bool continue_requested = false;
  int running_priority = -1;
  event* current_event = nullptr;
  std::atomic<std::thread::id> loop_thread{};
  // Taken to change loop_thread, to run a call while no loop runs, and to
  // hand one over: a call that saw the loop running is queued before the
  // loop can stop. Recursive: a call may make others.
  std::recursive_mutex handover_mutex;
  // Calls queued by other threads while the loop runs, in order; run after
  // each wait and before the loop stops (run_foreign_calls).
  std::mutex foreign_mutex;
  std::vector<eddy::Loop::Task> foreign_calls;
  std::vector<eddy::Loop::Task> foreign_batch;  // the ones running; reused
  // Some are queued: set with the first (which wakes the loop), cleared
  // when the loop takes them; changed under foreign_mutex, read without.
  std::atomic<bool> has_foreign_calls{false};
  // Calls queued by any thread for any base and not yet run. While there
  // are none, a thread's view of an event's flags is not older than a call
  // it made: event_del can then answer from the flags alone, without
  // touching a base that may be freed.
  static std::atomic<int> queued_anywhere;
  // Where hostname lookups post their results (hostname_lookup.hpp); made
  // by the first lookup, so that a base that never resolves a name has
  // none to release.
  std::shared_ptr<eddy::compat::LookupMailbox> lookup_mailbox;
  short signal_calls_left = 0;  // of the signal event whose callback runs
  bool time_cached = false;
  timeval cached_time{};
  timeval clock_diff{};
  time_t clock_diff_measured = -1;  // monotonic second it was measured at

  // The durations event_base_init_common_timeout() handed out, each once,
  // marked as libevent marks them (common_timeouts.hpp).
  std::vector<std::unique_ptr<timeval>> common_timeouts;

  // event_base_once() allocations not yet fired, freed with the base.
  struct OnceEvent;
  OnceEvent* onces = nullptr;

 private:
  // An event joins or leaves one of the lists (EVLIST_*), counted unless
  // it is internal. Inline: every message activates one event and runs it.
  void count_in(event* ev, int list) noexcept {
    eddy::compat::set_flag(ev, list);
    if (!eddy::compat::has_flag(ev, EVLIST_INTERNAL) && ++event_count > event_count_max) {
      event_count_max = event_count;
    }
  }
  void count_out(event* ev, int list) noexcept {
    eddy::compat::clear_flag(ev, list);
    if (!eddy::compat::has_flag(ev, EVLIST_INTERNAL)) {
      --event_count;
    }
  }
  void insert_timeout(event* ev);
  void remove_timeout(event* ev) noexcept;
  void remove_active(event* ev) noexcept {
    active.remove(ev);
    count_out(ev, EVLIST_ACTIVE);
  }
  void make_later_active() noexcept;
  void activate_queued(event* ev, int res, short ncalls) noexcept;
  void queue_active(event* ev, int res, short ncalls) noexcept;
  void on_ready(int fd, unsigned events) noexcept;
  void on_signal(int signo, int times) noexcept;
  void expire_timeouts() noexcept;
  int run_active() noexcept;
  int run_queue(int priority) noexcept;
  void run_persist_closure(event* ev) noexcept;
  void rearm_persist_timeout(event* ev) noexcept;
  void run_signal_closure(event* ev) noexcept;
  static void run_finalizer(event* ev) noexcept;
  // Takes whatever is queued off the base while it is freed.
  void drop_queued(event* ev) noexcept;
  void update_time_cache() noexcept;
  // Queues a call from another thread, and wakes the loop (once until it
  // runs what is queued); under handover_mutex, while the loop runs.
  void queue_foreign_call(eddy::Loop::Task call);
  void run_foreign_calls() noexcept;
  // Runs what is queued until nothing is, then marks the loop stopped,
  // atomically with respect to queue_foreign_call().
  void stop_taking_foreign_calls() noexcept;
};

template <typename F>
auto event_base::on_loop_thread(F f) -> decltype(f()) {
  using Result = decltype(f());
  if (loop_thread.load(std::memory_order_acquire) == std::this_thread::get_id()) {
    return f();
  }
  std::unique_lock lock(handover_mutex);
  if (loop_thread.load(std::memory_order_acquire) == std::thread::id{}) {
    io_loop.adopt_thread();
    return f();
  }
  // Run exactly once by the loop: after its next wait or before it stops.
  // Shared with the queued call, so that the task outlives the loop's run
  // of it even after this thread has its result and returns.
  auto task = std::make_shared<std::packaged_task<Result()>>(std::move(f));
  std::future<Result> result = task->get_future();
  queue_foreign_call([task] { (*task)(); });
  lock.unlock();
  return result.get();
}

template <typename F>
int event_base::on_loop_thread_nowait(F f) {
  if (loop_thread.load(std::memory_order_acquire) == std::this_thread::get_id()) {
    return f();
  }
  const std::lock_guard lock(handover_mutex);
  if (loop_thread.load(std::memory_order_acquire) == std::thread::id{}) {
    io_loop.adopt_thread();
    return f();
  }
  queue_foreign_call([f = std::move(f)]() mutable { f(); });
  return 0;
}

namespace eddy::compat {

// True when deleting `ev` has nothing of its base to touch: nothing to
// undo (or the base was freed, which cleared its flags), and no thread has
// a call queued that could have changed that since this thread last
// looked.
inline bool in_no_structure(const event* ev) noexcept {
  return event_base::queued_anywhere.load(std::memory_order_acquire) == 0 && !needs_delete(ev);
}

}  // namespace eddy::compat
