#pragma once

struct event_base;

// The base of the libevent 1.x calls that take none: the one event_init()
// created last. Not thread-safe, as in libevent. It carries libevent's
// internal name, exported, because code built with libevent's private
// headers (its regression tests) reads and resets it by that name.
extern "C" event_base* event_global_current_base_;

namespace eddy::compat {

inline event_base*& current_base = event_global_current_base_;

}  // namespace eddy::compat
