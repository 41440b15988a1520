#include "debug_mode.hpp"

#include <event2/event.h>

namespace eddy::compat {
std::atomic<bool> debug_mode{false};
}

extern "C" {

void event_enable_debug_mode(void) { eddy::compat::debug_mode.store(true, std::memory_order_relaxed); }
void event_disable_debug_mode(void) { eddy::compat::debug_mode.store(false, std::memory_order_relaxed); }

// libevent's debug mode tracks every event in a table; eddy keeps none, so
// there is nothing to forget.
void event_debug_unassign(struct event*) {}

}  // extern "C"
