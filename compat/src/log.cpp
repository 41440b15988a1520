#include "log.hpp"

#include <event2/event.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace eddy::compat {
namespace {

std::atomic<event_log_cb> log_callback{nullptr};
std::atomic<event_fatal_cb> fatal_callback{nullptr};

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

void log_message(int severity, const char* format, ...) {
  char text[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof text, format, args);
  va_end(args);
  if (event_log_cb cb = log_callback.load(std::memory_order_acquire)) {
    cb(severity, text);
  } else {
    std::fprintf(stderr, "[%s] %s\n", severity_name(severity), text);
  }
}

void fatal_misuse(const char* what) {
  log_message(EVENT_LOG_ERR, "%s", what);
  // libevent's code for an assertion failure (log-internal.h: EVENT_ERR_ABORT_).
  constexpr int kAbortCode = static_cast<int>(0xdeaddeadU);
  if (event_fatal_cb cb = fatal_callback.load(std::memory_order_acquire)) {
    cb(kAbortCode);
  }
  std::abort();
}

}  // namespace eddy::compat

extern "C" {

void event_set_log_callback(event_log_cb cb) { eddy::compat::log_callback.store(cb, std::memory_order_release); }

void event_set_fatal_callback(event_fatal_cb cb) { eddy::compat::fatal_callback.store(cb, std::memory_order_release); }

// Debug logging changes nothing: eddy logs no debug messages.
void event_enable_debug_logging(ev_uint32_t) {}

}  // extern "C"
