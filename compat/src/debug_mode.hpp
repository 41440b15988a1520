#pragma once

#include <atomic>

namespace eddy::compat {

// event_enable_debug_mode(): libevent then refuses misuse it can detect
// cheaply. eddy checks, while it is on: mixing edge- and level-triggered
// events on one fd (FdMap::add).
extern std::atomic<bool> debug_mode;

inline bool debug_mode_on() noexcept { return debug_mode.load(std::memory_order_relaxed); }

}  // namespace eddy::compat
