#pragma once

#include <eddy/function.hpp>

#include <cstdint>

namespace eddy {

class Loop;

namespace detail {
class SignalDispatcher;
}

// Calls a function on the loop's thread when a signal arrives.
//
// Signals are read from a signalfd, so the callback is an ordinary callback
// (not a signal handler) and may do anything. Starting the first watcher for
// a signal blocks it in the loop thread's signal mask; stopping the last one
// restores the mask as it was. Several watchers (of one loop) may watch the
// same signal: each is called once per delivery. Signals of the same number
// that arrive before the loop reads them are merged, as the kernel does.
//
// A signal number is owned by one Loop at a time: starting a watcher for it
// on a second Loop throws std::logic_error. Process-directed signals go to
// any thread that does not block them, so start signal watchers before
// creating other threads (they inherit the mask), or block the signal in
// them.
//
// Loop thread only. Not copyable or movable.
class SignalWatcher {
 public:
  using Callback = Function<void(int signo)>;

  SignalWatcher(Loop& loop, int signo, Callback on_signal);
  ~SignalWatcher();

  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  SignalWatcher(SignalWatcher&&) = delete;
  SignalWatcher& operator=(SignalWatcher&&) = delete;

  // Throws std::invalid_argument for a signal number that cannot be watched
  // (SIGKILL, SIGSTOP, out of range), std::logic_error when another Loop owns
  // the signal, std::system_error when signalfd fails.
  void start();
  void stop() noexcept;

  bool is_active() const noexcept { return active_; }
  int signo() const noexcept { return signo_; }
  Loop& loop() const noexcept { return loop_; }

 private:
  friend class detail::SignalDispatcher;

  Loop& loop_;
  int signo_;
  bool active_ = false;
  std::uint64_t id_ = 0;  // unique per start(): tells a restarted watcher from the one a signal was read for
  Callback on_signal_;
};

}  // namespace eddy
