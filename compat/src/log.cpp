#include "log.hpp"

#include <event2/event.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cerrno>

namespace eddy::compat {
namespace {

std::atomic<event_log_cb> log_callback{nullptr};
std::atomic<event_fatal_cb> fatal_callback{nullptr};

// event_err()'s code that means abort() (libevent's EVENT_ERR_ABORT_).
constexpr int kAbortCode = static_cast<int>(0xdeaddeadU);

const char* severity_name(int severity) noexcept {
  switch (severity) {
    case EVENT_LOG_DEBUG:
      return "debug";
    case EVENT_LOG_MSG:
      return "msg";
    case EVENT_LOG_WARN:
      return "warn";
    case EVENT_LOG_ERR:
      return "err";
    default:
      return "???";
  }
}

}  // namespace

void log_message_v(int severity, int error, const char* format, va_list args) {
  char text[1024];
  const int n = std::vsnprintf(text, sizeof text, format, args);
  if (error != 0 && n >= 0 && static_cast<std::size_t>(n) < sizeof text) {
    std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), ": %s", std::strerror(error));
  }
  if (event_log_cb cb = log_callback.load(std::memory_order_acquire)) {
    cb(severity, text);
  } else {
    std::fprintf(stderr, "[%s] %s\n", severity_name(severity), text);
  }
}

void log_message(int severity, const char* format, ...) {
  va_list args;
  va_start(args, format);
  log_message_v(severity, 0, format, args);
  va_end(args);
}

void fatal_exit(int code) {
  // libevent's order: the fatal callback first; the process ends even
  // when it returns.
  if (event_fatal_cb cb = fatal_callback.load(std::memory_order_acquire)) {
    cb(code);
  }
  if (code == kAbortCode) {
    std::abort();
  }
  std::exit(code);
}

void fatal_misuse(const char* what) {
  log_message(EVENT_LOG_ERR, "%s", what);
  fatal_exit(kAbortCode);
}

}  // namespace eddy::compat

extern "C" {

void event_set_log_callback(event_log_cb cb) { eddy::compat::log_callback.store(cb, std::memory_order_release); }

void event_set_fatal_callback(event_fatal_cb cb) { eddy::compat::fatal_callback.store(cb, std::memory_order_release); }

// Which debug messages are wanted (EVENT_DBG_*): programs built against
// libevent's internal headers read the variable itself. eddy logs no debug
// messages of its own.
ev_uint32_t event_debug_logging_mask_ = 0;
void event_enable_debug_logging(ev_uint32_t which) { event_debug_logging_mask_ = which; }

// libevent's internal logging functions (log-internal.h), which it exports
// and its own tests call: the ...warn and ...err forms add ": " and
// strerror(errno) (on Unix a socket's error is errno); the ...err ones end
// the process through the fatal callback.
#define EDDY_LOG_WITH(severity, error, format)                            \
  do {                                                                    \
    const int saved_errno = (error);                                      \
    va_list args;                                                         \
    va_start(args, format);                                               \
    eddy::compat::log_message_v((severity), saved_errno, (format), args); \
    va_end(args);                                                         \
  } while (false)

void event_err(int code, const char* format, ...) {
  EDDY_LOG_WITH(EVENT_LOG_ERR, errno, format);
  eddy::compat::fatal_exit(code);
}
void event_errx(int code, const char* format, ...) {
  EDDY_LOG_WITH(EVENT_LOG_ERR, 0, format);
  eddy::compat::fatal_exit(code);
}
void event_sock_err(int code, evutil_socket_t, const char* format, ...) {
  EDDY_LOG_WITH(EVENT_LOG_ERR, errno, format);
  eddy::compat::fatal_exit(code);
}
void event_warn(const char* format, ...) { EDDY_LOG_WITH(EVENT_LOG_WARN, errno, format); }
void event_warnx(const char* format, ...) { EDDY_LOG_WITH(EVENT_LOG_WARN, 0, format); }
void event_sock_warn(evutil_socket_t, const char* format, ...) { EDDY_LOG_WITH(EVENT_LOG_WARN, errno, format); }
void event_msgx(const char* format, ...) { EDDY_LOG_WITH(EVENT_LOG_MSG, 0, format); }
void event_debugx_(const char* format, ...) { EDDY_LOG_WITH(EVENT_LOG_DEBUG, 0, format); }

#undef EDDY_LOG_WITH

}  // extern "C"
