#include "support/watchdog.hpp"

#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace eddy::test {

Watchdog::Watchdog(Loop& loop, Duration deadline) {
  // The thread inherits the creating thread's mask: block everything before
  // creating it, so that no signal can ever be delivered to it.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  thread_ = std::thread([this, &loop, deadline] { watch(loop, deadline); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    disarmed_ = true;
  }
  disarmed_changed_.notify_all();
  thread_.join();
}

void Watchdog::watch(Loop& loop, Duration deadline) {
  std::unique_lock lock(mutex_);
  if (disarmed_changed_.wait_for(lock, deadline, [this] { return disarmed_; })) {
    return;
  }
  ADD_FAILURE() << "watchdog: the loop did not return within "
                << std::chrono::duration_cast<std::chrono::milliseconds>(deadline).count()
                << " ms; posting Loop::stop()";
  loop.post([&loop] { loop.stop(); });
  if (disarmed_changed_.wait_for(lock, std::chrono::seconds(5), [this] { return disarmed_; })) {
    return;
  }
  std::fputs("watchdog: the loop ignored a posted Loop::stop() for 5 s; aborting the test binary\n", stderr);
  std::abort();
}

}  // namespace eddy::test
