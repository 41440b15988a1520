#include "echo_log.hpp"

#include <eddy/log.hpp>

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace eddy_echo {

namespace {

// Lines from the main thread and from the server's threads must not
// interleave: one lock for every line eddy-echo prints.
std::mutex& stderr_mutex() {
  static std::mutex mutex;
  return mutex;
}

void write_line(std::string_view prefix, std::string_view message) {
  const std::lock_guard lock(stderr_mutex());
  std::fprintf(stderr, "eddy-echo: %.*s%.*s\n", static_cast<int>(prefix.size()), prefix.data(),
               static_cast<int>(message.size()), message.data());
}

void log_to_stderr(eddy::LogLevel level, std::string_view message) {
  switch (level) {
    case eddy::LogLevel::kDebug:
      write_line("debug: ", message);
      break;
    case eddy::LogLevel::kInfo:
      write_line("info: ", message);
      break;
    case eddy::LogLevel::kWarning:
      write_line("warning: ", message);
      break;
    case eddy::LogLevel::kError:
    case eddy::LogLevel::kOff:
      write_line("error: ", message);
      break;
  }
}

}  // namespace

void report(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  write_line("", message);
}

void install_log_sink() { eddy::set_log_sink(&log_to_stderr); }

}  // namespace eddy_echo
