#pragma once

#include "event_fields.hpp"

#include <eddy/function.hpp>
#include <eddy/io_watcher.hpp>

#include <signal.h>

#include <array>
#include <optional>

namespace eddy {
class Loop;
}

namespace eddy::compat {

// The signal events of one base.
//
// libevent catches signals with sigaction() and a handler that writes to a
// pipe the loop watches; programs rely on that: the signal is not blocked,
// so it reaches the handler whichever thread it hits, and children forked
// and exec'd by the program inherit no blocked mask. eddy's SignalWatcher
// (signalfd, with the signal blocked) cannot give either, so the compat
// layer does as libevent does. As in libevent, signals reach one base at a
// time: the one that added a signal event or entered its loop last (adding
// to a second base is allowed, with a warning, and takes the signals over).
class SignalMap {
 public:
  using CaughtCallback = Function<void(int signo, int times)>;

  SignalMap(Loop& loop, CaughtCallback on_caught) : loop_(loop), on_caught_(std::move(on_caught)) {}
  ~SignalMap();

  SignalMap(const SignalMap&) = delete;
  SignalMap& operator=(const SignalMap&) = delete;

  // Returns 0, or -1 after logging why.
  int add(event* ev);
  void remove(event* ev) noexcept;

  // The newest event on `signo`; follow ev_.ev_signal.ev_signal_next.next.
  event* first(int signo) const noexcept { return signo > 0 && signo < NSIG ? heads_[static_cast<unsigned>(signo)] : nullptr; }

  // In a forked child: the pipe is shared with the parent; take a new one.
  int reinit();

  // Makes this base the one signals are delivered to, if it has signal
  // events (event_base_loop() calls it, as libevent's does).
  void claim() noexcept;

 private:
  bool open_pipe();
  void close_pipe() noexcept;
  void on_readable();

  Loop& loop_;
  CaughtCallback on_caught_;
  std::array<event*, NSIG> heads_{};
  std::array<struct sigaction, NSIG> saved_actions_{};
  int watched_ = 0;  // signals with at least one event
  int pipe_[2] = {-1, -1};
  std::optional<IoWatcher> pipe_watcher_;
};

}  // namespace eddy::compat
