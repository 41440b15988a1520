#pragma once

#include <eddy/clock.hpp>
#include <eddy/loop.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>

namespace eddy::test {

// How long a test waits for something that should happen at once. Generous:
// it only bounds a test that would otherwise hang, it is never a timing
// assertion.
inline constexpr Duration kDeadline = std::chrono::seconds(5);

// Runs loop.run_once(step) until `done()` returns true (checked before each
// iteration) or `deadline` passes. Use as
//   ASSERT_TRUE(run_until(loop, [&] { return called; }));
// so that a condition that never comes true fails the test instead of
// hanging it.
template <typename Predicate>
testing::AssertionResult run_until(Loop& loop, Predicate&& done, Duration deadline = kDeadline,
                                   Duration step = std::chrono::milliseconds(10)) {
  const TimePoint give_up = Clock::now() + deadline;
  std::size_t iterations = 0;
  while (!done()) {
    if (Clock::now() >= give_up) {
      return testing::AssertionFailure() << "condition not met within "
                                         << std::chrono::duration_cast<std::chrono::milliseconds>(deadline).count()
                                         << " ms (" << iterations << " loop iterations)";
    }
    loop.run_once(step);
    ++iterations;
  }
  return testing::AssertionSuccess();
}

}  // namespace eddy::test
