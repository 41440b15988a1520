#pragma once

#include <string_view>

namespace eddy {

// eddy's own diagnostics (a listener shedding connections, a server that
// stops), and a simple logger for programs built on it.
//
// Messages at or above the level go to the sink; the default sink writes
// one line to stderr. Level and sink are process-wide; set them before
// starting loops on other threads (log() itself is thread-safe).
enum class LogLevel { kDebug, kInfo, kWarning, kError, kOff };

using LogSink = void (*)(LogLevel level, std::string_view message);

void set_log_level(LogLevel level) noexcept;
LogLevel log_level() noexcept;
void set_log_sink(LogSink sink) noexcept;  // nullptr restores the default
bool log_enabled(LogLevel level) noexcept;
void log(LogLevel level, std::string_view message);

// "debug", "info", "warning", "error", "off" (also "warn"); nullptr-free:
// returns false for an unknown name.
bool parse_log_level(std::string_view name, LogLevel& level) noexcept;

}  // namespace eddy
