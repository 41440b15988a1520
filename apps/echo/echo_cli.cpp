#include "echo_cli.hpp"

#include "echo_log.hpp"

#include <eddy/version.hpp>

#include <CLI/CLI.hpp>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace eddy_echo {

namespace {

// Longest duration a flag takes: about 31 years, far inside the
// nanosecond Duration's range (292 years).
constexpr double kMaxSeconds = 1e9;

// "0.2", "5", "1e-3": a finite number of seconds from 0 to kMaxSeconds.
// A positive value never rounds down to zero ("none").
std::optional<eddy::Duration> parse_seconds(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || stop != end || !std::isfinite(value) || value < 0 || value > kMaxSeconds) {
    return std::nullopt;
  }
  return std::chrono::ceil<eddy::Duration>(std::chrono::duration<double>(value));
}

// "65536", "64K", "64KiB", "1M", "1MiB", "2G": bytes, in powers of 1024.
std::optional<std::size_t> parse_size(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);  // no sign: "-1" fails here
  if (error != std::errc{} || stop == text.data()) {
    return std::nullopt;
  }
  std::string unit(stop, end);
  for (char& c : unit) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::uint64_t factor = 0;
  if (unit.empty()) {
    factor = 1;
  } else if (unit == "k" || unit == "kib") {
    factor = std::uint64_t{1} << 10;
  } else if (unit == "m" || unit == "mib") {
    factor = std::uint64_t{1} << 20;
  } else if (unit == "g" || unit == "gib") {
    factor = std::uint64_t{1} << 30;
  } else {
    return std::nullopt;
  }
  if (value > std::numeric_limits<std::size_t>::max() / factor) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(value * factor);
}

// A CLI11 check that `accepts` the text; the message names what was expected.
template <typename Accepts>
CLI::Validator expects(std::string what, Accepts accepts) {
  return CLI::Validator(
      [what, accepts](std::string& text) {
        return accepts(text) ? std::string() : "expected " + what + ", got \"" + text + "\"";
      },
      "");
}

CLI::Validator seconds_check() {
  return expects("a number of seconds from 0 to 1e9",
                 [](const std::string& text) { return parse_seconds(text).has_value(); });
}

}  // namespace

std::optional<int> parse_command_line(int argc, char** argv, EchoOptions& options) {
  CLI::App app(
      "A TCP (or, with --udp, UDP) echo server built on eddy: every byte a client sends comes back to it.\n"
      "Stops gracefully on SIGINT or SIGTERM, at once on a second one; SIGHUP is ignored. See docs/echo.md.",
      "eddy-echo");
  app.set_version_flag("--version", std::string("eddy-echo ") + EDDY_VERSION_STRING);

  int port = 25341;  // an int, so that 70000 fails the range check instead of wrapping
  std::string bind = "0.0.0.0";
  int threads = 0;
  std::int64_t max_connections = 0;
  std::string idle_timeout = "0";
  std::string max_buffer = "1MiB";
  std::string shutdown_timeout = "5";
  std::string stats = "0";
  std::string log_level = "info";

  app.add_option("--port", port, "TCP or UDP port to listen on")->check(CLI::Range(1, 65535))->capture_default_str();
  app.add_option("--bind", bind, "numeric IPv4 or IPv6 address to listen on (0.0.0.0, ::, ::1, ...)")
      ->capture_default_str();
  app.add_option("--threads", threads,
                 "event loops, one thread each, sharing the port (default: one per core); "
                 "with --udp ignored: one socket on one thread")
      ->check(CLI::Range(1, 1024));
  app.add_option("--backend", options.backend, "readiness backend; default: $EDDY_BACKEND, else epoll")
      ->check(CLI::IsMember({"epoll", "poll", "uring"}));
  CLI::Option* max_connections_option =
      app.add_option("--max-connections", max_connections,
                     "open connections at most; newer ones are accepted and closed at once (0: no cap)")
          ->check(CLI::NonNegativeNumber)
          ->capture_default_str();
  CLI::Option* idle_option =
      app.add_option("--idle-timeout", idle_timeout,
                     "close a connection after this many seconds without traffic either way (0: never)")
          ->check(seconds_check())
          ->type_name("SECONDS")
          ->capture_default_str();
  CLI::Option* max_buffer_option =
      app.add_option("--max-buffer", max_buffer,
                     "bytes queued for a client that does not read before reading from it pauses; "
                     "resumes below half (K, M, G: powers of 1024)")
          ->check(expects("a size of at least 1 byte (65536, 64K, 1M)",
                          [](const std::string& text) { return parse_size(text).value_or(0) > 0; }))
          ->type_name("BYTES")
          ->capture_default_str();
  CLI::Option* shutdown_option =
      app.add_option("--shutdown-timeout", shutdown_timeout,
                     "on SIGINT/SIGTERM, seconds to let queued output flush before closing the rest")
          ->check(seconds_check())
          ->type_name("SECONDS")
          ->capture_default_str();
  app.add_option("--stats", stats,
                 "print a stats line on stderr every this many seconds (0: never; format in docs/echo.md)")
      ->check(seconds_check())
      ->type_name("SECONDS")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "debug (one line per read, with its size), info, warning, error, off")
      ->check(expects("one of debug, info, warning, error, off",
                      [](const std::string& text) {
                        eddy::LogLevel level{};
                        return eddy::parse_log_level(text, level);
                      }))
      ->capture_default_str();
  app.add_flag("--reuse-port", options.reuse_port,
               "let other processes of the same user bind the port too (SO_REUSEPORT) and take a share of "
               "its clients; without it a second server on the port fails with 'Address already in use'");
  app.add_flag("--udp", options.udp, "echo UDP datagrams (RFC 862) instead of TCP streams")
      ->excludes(max_connections_option)
      ->excludes(idle_option)
      ->excludes(max_buffer_option)
      ->excludes(shutdown_option);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports help and version requests as "errors" with exit code 0;
    // app.exit() prints them. Real errors get our one-line format instead of
    // CLI11's multi-line one.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e);
    }
    report(e.what());
    return kExitUsage;
  }

  const std::optional<eddy::SocketAddress> address = eddy::SocketAddress::parse(bind, static_cast<std::uint16_t>(port));
  if (!address) {
    report("--bind: not a numeric IPv4 or IPv6 address: " + bind);
    return kExitUsage;
  }
  options.address = *address;
  options.threads = static_cast<std::size_t>(threads);
  options.max_connections = static_cast<std::size_t>(max_connections);
  // The checks above accepted each of these, so the parses succeed.
  options.idle_timeout = parse_seconds(idle_timeout).value_or(eddy::Duration{});
  options.max_buffer = parse_size(max_buffer).value_or(options.max_buffer);
  options.shutdown_timeout = parse_seconds(shutdown_timeout).value_or(options.shutdown_timeout);
  options.stats_interval = parse_seconds(stats).value_or(eddy::Duration{});
  eddy::parse_log_level(log_level, options.log_level);
  return std::nullopt;
}

}  // namespace eddy_echo
