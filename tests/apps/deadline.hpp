#pragma once

#include <algorithm>
#include <chrono>

namespace echo_test {

// Every wait in these tests ends at a deadline, so that a broken server makes
// a test fail with a message instead of hanging until ctest kills it.
using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline Deadline deadline_in(std::chrono::milliseconds timeout) { return Clock::now() + timeout; }

// Milliseconds left until `deadline`, rounded up and capped at `cap`, for
// poll(2): 0 once it has passed.
inline int poll_timeout_ms(Deadline deadline, std::chrono::milliseconds cap = std::chrono::milliseconds(1000)) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp(left, std::chrono::milliseconds(0), cap).count());
}

}  // namespace echo_test
