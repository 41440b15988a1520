#pragma once

#include "support/run_until.hpp"

#include <eddy/clock.hpp>
#include <eddy/loop.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace eddy::test {

// Bounds a call that may block indefinitely: Loop::run(), or run_once()
// without a timeout. Declare it after the Loop and before the call:
//
//   eddy::Loop loop;
//   ...
//   Watchdog watchdog(loop);
//   loop.run();
//
// If it is still armed after `deadline`, it records a test failure and posts
// loop.stop() to the loop; if the loop still has not let go five seconds
// later (its wakeup is broken too), it aborts the process with a message,
// which ctest reports as a failure rather than a hang.
//
// Its thread blocks every signal, so it never steals one from a
// SignalWatcher. Destroying it disarms it and joins the thread.
class Watchdog {
 public:
  explicit Watchdog(Loop& loop, Duration deadline = kDeadline);
  ~Watchdog();

  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void watch(Loop& loop, Duration deadline);

  std::mutex mutex_;
  std::condition_variable disarmed_changed_;
  bool disarmed_ = false;
  std::thread thread_;
};

}  // namespace eddy::test
