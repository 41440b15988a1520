#pragma once

#include <chrono>

namespace eddy {

// The loop's clock. std::chrono::steady_clock is CLOCK_MONOTONIC on Linux
// (not CLOCK_MONOTONIC_COARSE, whose 1-4 ms granularity makes short timers
// fire late), so deadlines are immune to wall-clock changes.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::nanoseconds;

}  // namespace eddy
