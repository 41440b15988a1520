#pragma once

#include <cstdarg>

namespace eddy::compat {

// Messages of the compat layer go through the callback a program set with
// event_set_log_callback(), as libevent's do; without one they are written
// to stderr as "[warn] ...".
void log_message(int severity, const char* format, ...) __attribute__((format(printf, 2, 3)));

#define EDDY_COMPAT_WARN(...) ::eddy::compat::log_message(EVENT_LOG_WARN, __VA_ARGS__)

// A broken invariant of the program's (libevent's EVUTIL_ASSERT): logs at
// EVENT_LOG_ERR, calls the event_set_fatal_callback() callback if any, and
// aborts, as libevent does.
[[noreturn]] void fatal_misuse(const char* what);

// One message, with ": strerror(error)" after it when error is not 0.
void log_message_v(int severity, int error, const char* format, va_list args) __attribute__((format(printf, 3, 0)));

// Calls the fatal callback, then exits with `code` (aborts for libevent's
// EVENT_ERR_ABORT_).
[[noreturn]] void fatal_exit(int code);

}  // namespace eddy::compat
