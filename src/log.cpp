#include <eddy/log.hpp>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

namespace eddy {
namespace {

void write_to_stderr(LogLevel level, std::string_view message) {
  static std::mutex mutex;  // one line at a time from several threads
  static constexpr const char* kNames[] = {"debug", "info", "warning", "error", "off"};
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "%s: %.*s\n", kNames[static_cast<int>(level)], static_cast<int>(message.size()),
               message.data());
}

std::atomic<LogLevel> g_level{LogLevel::kWarning};
std::atomic<LogSink> g_sink{&write_to_stderr};

}  // namespace

void set_log_level(LogLevel level) noexcept { g_level.store(level, std::memory_order_relaxed); }

LogLevel log_level() noexcept { return g_level.load(std::memory_order_relaxed); }

void set_log_sink(LogSink sink) noexcept { g_sink.store(sink != nullptr ? sink : &write_to_stderr); }

bool log_enabled(LogLevel level) noexcept { return level != LogLevel::kOff && level >= log_level(); }

void log(LogLevel level, std::string_view message) {
  if (log_enabled(level)) {
    g_sink.load()(level, message);
  }
}

bool parse_log_level(std::string_view name, LogLevel& level) noexcept {
  if (name == "debug") {
    level = LogLevel::kDebug;
  } else if (name == "info") {
    level = LogLevel::kInfo;
  } else if (name == "warning" || name == "warn") {
    level = LogLevel::kWarning;
  } else if (name == "error") {
    level = LogLevel::kError;
  } else if (name == "off") {
    level = LogLevel::kOff;
  } else {
    return false;
  }
  return true;
}

}  // namespace eddy
