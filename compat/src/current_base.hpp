#pragma once

struct event_base;

namespace eddy::compat {

// The base of the libevent 1.x calls that take none: the one event_init()
// created last. Not thread-safe, as in libevent.
extern event_base* current_base;

}  // namespace eddy::compat
