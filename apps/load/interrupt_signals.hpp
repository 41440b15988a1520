#pragma once

#include <eddy/function.hpp>
#include <eddy/loop.hpp>
#include <eddy/signal_watcher.hpp>

#include <future>
#include <optional>
#include <string>
#include <thread>

namespace eddy_load {

// eddy-load's SIGINT and SIGTERM, read by a thread of their own through
// eddy::SignalWatchers on that thread's Loop (the main thread waits on a
// condition variable, not on a loop, so the watchers need one of their own):
//   the first   prints "interrupted by SIGINT: stopping" on stderr and calls
//               on_interrupt(signo) on that thread, which asks the run to
//               end early;
//   a second    (of either), while that stop is under way, exits at once
//               with 128 + signo: no summary, nothing cleaned up, nothing
//               waited for.
//
// The constructor blocks both signals in the calling thread before it
// starts its own, and threads inherit the mask: created before any other
// thread, it leaves every thread of the process blocking them, so that a
// (process-directed) signal waits for the signalfd instead of killing the
// process through a thread that does not block it. They stay blocked after
// the destructor: a signal that comes later is left pending, and the
// process ends with the status it chose.
//
// `backend` is the Loop's, as for the workers. Constructor and destructor
// on the main thread; the constructor throws what eddy::Loop or
// SignalWatcher::start throws when the signals cannot be watched.
class InterruptSignals {
 public:
  InterruptSignals(const std::string& backend, eddy::Function<void(int signo)> on_interrupt);
  ~InterruptSignals();  // stops the thread's watchers and joins it

  InterruptSignals(const InterruptSignals&) = delete;
  InterruptSignals& operator=(const InterruptSignals&) = delete;

 private:
  void run(const std::string& backend, std::promise<void> started);
  void on_signal(int signo);

  eddy::Function<void(int signo)> on_interrupt_;
  // The thread's own, built and destroyed there; the main thread only calls
  // loop_->post(), after the constructor saw them built.
  std::optional<eddy::Loop> loop_;
  std::optional<eddy::SignalWatcher> interrupt_;
  std::optional<eddy::SignalWatcher> terminate_;
  bool interrupted_ = false;  // the thread's
  std::thread thread_;
};

}  // namespace eddy_load
