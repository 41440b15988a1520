#pragma once

#include "sys/fd.hpp"

#include <eddy/io_watcher.hpp>

#include <signal.h>

#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace eddy {
class Loop;
class SignalWatcher;
}  // namespace eddy

namespace eddy::detail {

// A loop's signal watchers and the one signalfd that serves them all.
//
// The signalfd exists while at least one signal is watched; its mask is the
// set of watched signals. A signal is blocked in the loop thread's mask
// while watched, and the previous mask bit is restored when its last
// watcher stops (after discarding a pending instance, which would otherwise
// be delivered with its default action, killing the process for SIGTERM).
class SignalDispatcher {
 public:
  explicit SignalDispatcher(Loop& loop);
  ~SignalDispatcher();

  SignalDispatcher(const SignalDispatcher&) = delete;
  SignalDispatcher& operator=(const SignalDispatcher&) = delete;

  void start(SignalWatcher& watcher);
  void stop(SignalWatcher& watcher) noexcept;

 private:
  static constexpr int kSignals = _NSIG;

  void watch_signal(int signo);
  void unwatch_signal(int signo) noexcept;
  void on_readable();
  void dispatch(int signo);
  bool is_registered(const SignalWatcher* watcher, std::uint64_t id, int signo) const noexcept;

  Loop& loop_;
  sys::UniqueFd fd_;
  std::optional<IoWatcher> fd_watcher_;  // engaged while fd_ is open
  sigset_t watched_{};
  std::array<std::vector<SignalWatcher*>, kSignals> watchers_;
  std::array<bool, kSignals> was_blocked_{};
  std::vector<std::pair<SignalWatcher*, std::uint64_t>> calling_;  // snapshot during dispatch
  std::uint64_t next_id_ = 0;
};

}  // namespace eddy::detail
