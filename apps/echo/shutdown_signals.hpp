#pragma once

#include <eddy/function.hpp>
#include <eddy/signal_watcher.hpp>

namespace eddy {
class Loop;
}

namespace eddy_echo {

// eddy-echo's signals, watched on the main thread's loop:
//   SIGINT, SIGTERM  the first prints "shutting down" and calls on_stop,
//                    which begins a graceful stop; a second one, while that
//                    stop is under way, exits at once with 128 + signo
//                    (queued output is lost, nothing is cleaned up).
//   SIGHUP           logged at info and otherwise ignored: eddy-echo has no
//                    configuration or log file to reopen, and a hang-up of
//                    the terminal it started from must not stop it.
//
// start() must come before any other thread is created: the watchers block
// these signals in the calling thread's mask, threads created later inherit
// it, and so the signals reach the loop's signalfd instead of killing the
// process through a thread that does not block them. Loop thread only.
class ShutdownSignals {
 public:
  ShutdownSignals(eddy::Loop& loop, eddy::Function<void()> on_stop);

  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  void start();

 private:
  void on_stop_signal(int signo);

  eddy::Function<void()> on_stop_;
  eddy::SignalWatcher interrupt_;
  eddy::SignalWatcher terminate_;
  eddy::SignalWatcher hangup_;
  bool stopping_ = false;
};

}  // namespace eddy_echo
