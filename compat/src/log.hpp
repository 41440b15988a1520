#pragma once

namespace eddy::compat {

// Messages of the compat layer go through the callback a program set with
// event_set_log_callback(), as libevent's do; without one they are written
// to stderr as "[warn] ...".
void log_message(int severity, const char* format, ...) __attribute__((format(printf, 2, 3)));

#define EDDY_COMPAT_WARN(...) ::eddy::compat::log_message(EVENT_LOG_WARN, __VA_ARGS__)

}  // namespace eddy::compat
