#pragma once

#include <eddy/clock.hpp>
#include <eddy/loop.hpp>

#include <chrono>

namespace eddy::test {

// Runs the loop for `duration` of wall-clock time, whatever happens: for
// tests that check something does NOT happen within a window.
inline void run_for(Loop& loop, Duration duration, Duration step = std::chrono::milliseconds(5)) {
  const TimePoint end = Clock::now() + duration;
  while (Clock::now() < end) {
    loop.run_once(std::min<Duration>(step, end - Clock::now()));
  }
}

}  // namespace eddy::test
