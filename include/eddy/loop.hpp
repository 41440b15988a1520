#pragma once

#include <eddy/block_pool.hpp>
#include <eddy/clock.hpp>
#include <eddy/function.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace eddy {

namespace detail {
class LoopCore;
}

// Options for constructing a Loop.
struct LoopOptions {
  // "epoll", "poll" or "uring" (io_uring). Empty means: the EDDY_BACKEND
  // environment variable if set, else "epoll". An unknown name makes the
  // Loop constructor throw std::invalid_argument; there is no silent
  // fallback. "uring" where the kernel refuses io_uring (seccomp,
  // kernel.io_uring_disabled, a kernel before 5.11) runs on epoll and logs
  // one warning saying why; backend_name() then answers "epoll".
  std::string backend;
};

// An event loop: one thread waits on the kernel for I/O readiness, timers,
// signals and posted work, and runs the callbacks of the watchers that are
// ready.
//
// Threads. A Loop belongs to one thread: the one that constructed it, or
// the one that last entered run()/run_once(). Every member function except
// post() must be called on that thread, and so must every member of the
// watchers attached to it. Checked builds (Debug and sanitizer builds) abort
// with a message naming both threads when this rule is broken.
//
// One iteration, in this order (docs/loop.md):
//   1. compute the wait timeout from the nearest timer; zero when posted or
//      deferred work is pending or stop() was called;
//   2. wait in the backend;
//   3. update now();
//   4. run expired timers in deadline order (ties in start order);
//   5. run ready I/O watchers in the order the backend reported them;
//   6. run functions given to post();
//   7. run functions given to defer().
// A watcher stopped or destroyed at any point of an iteration is not called
// later in that iteration.
//
// Lifetime. Watchers keep a reference to their Loop; every active watcher
// must be stopped or destroyed before the Loop is destroyed (checked builds
// abort otherwise).
class Loop {
 public:
  using Task = Function<void()>;

  explicit Loop(LoopOptions options = {});
  ~Loop();

  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  Loop(Loop&&) = delete;
  Loop& operator=(Loop&&) = delete;

  // Runs iterations until no watcher is active and no posted or deferred
  // work is pending, or until stop() is called. Returns at once if nothing
  // is active.
  void run();

  // Runs exactly one iteration, waiting at most `max_wait` for an event
  // (no limit when absent; Duration::zero() polls without blocking).
  // Returns true when watchers are still active or work is pending.
  bool run_once(std::optional<Duration> max_wait = std::nullopt);

  // Makes run() return after the current iteration. Called while the loop is
  // not running, the next run() performs one non-blocking iteration and
  // returns.
  void stop();

  // The time the current iteration woke up from its wait (monotonic). Cheap:
  // it does not read the clock.
  TimePoint now() const noexcept;

  // Queues `task` to run on the loop's thread in the next post phase (step
  // 6 above: the current iteration's when called from a timer or I/O
  // callback, else the next iteration's) and wakes the loop. Safe from any thread, including signal-free contexts of
  // other threads; tasks run once each, in the order they were posted.
  // Small callables (see Function) are queued without allocating once the
  // queue has warmed up.
  void post(Task task);

  // Queues `task` to run after the callbacks of the current iteration (or of
  // the next one when called outside an iteration). Loop thread only.
  void defer(Task task);

  // Makes the calling thread the loop's, as entering run() does, for a
  // program that hands a loop that is not running from thread to thread
  // under a lock of its own (the libevent compat layer, whose bases may be
  // set up from any thread). Not while the loop runs.
  void adopt_thread() noexcept;

  // The backend in use: "epoll", "poll" or "uring".
  std::string_view backend_name() const noexcept;

  // The loop's free list of buffer blocks: Buffers of connections on this
  // loop take their blocks from it, so steady-state I/O allocates nothing.
  BlockPool& block_pool() noexcept;

  // Number of active user watchers plus pending posted/deferred tasks.
  std::size_t active_count() const noexcept;

  // Call in the child after fork() to keep using this loop there. The
  // backend's kernel object (the epoll instance or the ring) and the wakeup eventfd are
  // shared with the parent after fork; this replaces both with fresh ones
  // and registers every active watcher again, touching nothing the parent
  // still uses. Not to be called from inside one of the loop's callbacks.
  void reinit_after_fork();

  detail::LoopCore& core() noexcept { return *core_; }

 private:
  std::unique_ptr<detail::LoopCore> core_;
};

// True when this build of the library checks that loops and watchers are
// used only from their loop's thread.
bool thread_checks_enabled() noexcept;

}  // namespace eddy
