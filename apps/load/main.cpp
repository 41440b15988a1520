// eddy-load: the load generator of eddy.
//
// Opens C connections to an echo server, keeps D messages of S bytes in
// flight on each, verifies every byte that comes back, and reports the
// round-trip latency and throughput (see docs/load.md).
//
// Exit codes: 0 when the run went through without error (UDP losses are
// reported, not errors); 1 when a connection failed, was reset or closed by
// the server, an echo differed from what was sent, or the run could not
// finish; 2 for a bad command line; 128 + signo (130 for SIGINT, 143 for
// SIGTERM) when a signal ended the run early: the summary of what was
// measured is printed, marked as interrupted, and errors counted so far are
// still reported on stderr, but the signal's code wins over 1. A second
// signal exits with 128 + signo at once, printing nothing more.

#include "cpu_usage.hpp"
#include "interrupt_request.hpp"
#include "interrupt_signals.hpp"
#include "load_driver.hpp"
#include "load_options.hpp"
#include "load_runner.hpp"
#include "payload.hpp"
#include "report.hpp"

#include <eddy/loop.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/version.hpp>

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace {

using eddy_load::LoadOptions;
using eddy_load::LoadResult;

constexpr int kExitOk = 0;
constexpr int kExitRuntimeError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSignalBase = 128;  // + signo, as a shell reports a process killed by it

// Limits that keep one run's memory bounded: a message is generated in one
// buffer, and connection ids are 32-bit in the payload header.
constexpr std::uint64_t kMaxSize = 64 * 1024 * 1024;
constexpr std::uint64_t kMaxUdpSize = 65507;  // 65535 - 8 (UDP header) - 20 (IPv4 header)
constexpr std::uint64_t kMaxConnections = 1'000'000;
constexpr std::uint64_t kMaxDepth = 65536;
constexpr std::uint64_t kMaxThreads = 1024;

// Prints "eddy-load: <message>" on stderr as a single line, so that scripts
// and tests can read one line per problem.
void report(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::fprintf(stderr, "eddy-load: %s\n", message.c_str());
}

std::chrono::nanoseconds from_seconds(double seconds) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
}

// Fills `options` from the command line. Returns the exit code when the
// program must stop here: after --help or --version, or on a usage error.
std::optional<int> parse_command_line(int argc, char** argv, LoadOptions& options) {
  CLI::App app("A load generator for echo servers, built on eddy's event loop.", "eddy-load");
  app.set_version_flag("--version", std::string("eddy-load ") + EDDY_VERSION_STRING);
  int port = options.port;  // an int, so that 70000 fails the range check instead of wrapping
  std::uint64_t connections = options.connections;
  std::uint64_t depth = options.depth;
  std::uint64_t size = options.size;
  double duration = 10;
  std::uint64_t messages = 0;
  std::uint64_t threads = options.threads;
  double warmup = 0;
  int server_pid = 0;
  int connect_timeout_ms = static_cast<int>(options.connect_timeout.count());

  app.add_option("--host", options.host, "server address: numeric IPv4 or IPv6, or localhost")->capture_default_str();
  app.add_option("--port", port, "server port")->check(CLI::Range(1, 65535))->capture_default_str();
  app.add_option("-c,--connections", connections, "connections (UDP: sockets) to open")
      ->check(CLI::Range(std::uint64_t{1}, kMaxConnections))
      ->capture_default_str();
  app.add_option("-d,--depth", depth, "messages in flight per connection; 1 is ping-pong")
      ->check(CLI::Range(std::uint64_t{1}, kMaxDepth))
      ->capture_default_str();
  app.add_option("-s,--size", size, "bytes per message")
      ->check(CLI::Range(std::uint64_t{1}, kMaxSize))
      ->capture_default_str();
  CLI::Option* duration_option =
      app.add_option("--duration", duration, "seconds to measure (after the warmup); default 10, none with --messages")
          ->check(CLI::PositiveNumber);
  CLI::Option* messages_option =
      app.add_option("--messages", messages, "stop after this many messages in all")
          ->check(CLI::Range(std::uint64_t{1}, UINT64_MAX));
  app.add_option("--rate", options.rate, "messages per second over all connections; 0: as fast as possible")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--udp", options.udp, "send UDP datagrams instead of TCP messages");
  app.add_option("--threads", threads, "threads, each with its own event loop")
      ->check(CLI::Range(std::uint64_t{1}, kMaxThreads))
      ->capture_default_str();
  app.add_option("--backend", options.backend, "readiness backend; default: $EDDY_BACKEND, else epoll")
      ->check(CLI::IsMember({"epoll", "poll", "uring"}));
  CLI::Option* warmup_option =
      app.add_option("--warmup", warmup, "seconds of load before measuring, left out of the figures")
          ->check(CLI::NonNegativeNumber)
          ->capture_default_str();
  app.add_flag("--json", options.json, "print one JSON object instead of the table");
  app.add_option("--server-pid", server_pid, "also report this process's CPU time per message")
      ->check(CLI::PositiveNumber);
  app.add_option("--connect-timeout", connect_timeout_ms, "milliseconds allowed for each connection to open")
      ->check(CLI::Range(1, 3'600'000))
      ->capture_default_str();
  // A count and a warmup do not mix: which messages would be counted?
  messages_option->excludes(warmup_option);

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

  options.port = static_cast<std::uint16_t>(port);
  options.connections = static_cast<std::size_t>(connections);
  options.depth = static_cast<std::size_t>(depth);
  options.size = static_cast<std::size_t>(size);
  options.threads = static_cast<std::size_t>(threads);
  options.warmup = from_seconds(warmup);
  options.connect_timeout = std::chrono::milliseconds(connect_timeout_ms);
  if (messages_option->count() > 0) {
    options.messages = messages;
    options.duration = std::nullopt;  // the count ends the run, unless --duration caps it too
  }
  if (duration_option->count() > 0 || !options.messages) {
    options.duration = from_seconds(duration);
  }
  if (server_pid > 0) {
    options.server_pid = static_cast<pid_t>(server_pid);
  }
  if (options.udp && (options.size < eddy_load::Payload::kHeaderSize || options.size > kMaxUdpSize)) {
    report("--size must be between 12 and 65507 with --udp (a datagram carries its id in its first 12 bytes)");
    return kExitUsage;
  }
  const std::string ip = options.host == "localhost" ? "127.0.0.1" : options.host;
  const std::optional<eddy::SocketAddress> server = eddy::SocketAddress::parse(ip, options.port);
  if (!server) {
    report("--host: not a numeric IPv4 or IPv6 address, nor localhost: " + options.host);
    return kExitUsage;
  }
  options.server = *server;
  if (options.server_pid) {
    std::error_code error;
    if (!eddy_load::process_cpu_time(*options.server_pid, error)) {
      report("--server-pid " + std::to_string(*options.server_pid) + ": cannot read /proc/" +
             std::to_string(*options.server_pid) + "/stat: " + error.message());
      return kExitUsage;
    }
  }
  return std::nullopt;
}

std::string plural(std::uint64_t n, const std::string& word, const std::string& words = {}) {
  return std::to_string(n) + " " + (n == 1 ? word : words.empty() ? word + "s" : words);
}

std::string hex_byte(std::optional<unsigned char> byte) {
  if (!byte) {
    return "nothing";
  }
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", unsigned{*byte});
  return text;
}

// One line on stderr for each kind of failure; returns the exit code.
int report_errors(const LoadOptions& options, const LoadResult& result, const eddy_load::Summary& summary) {
  const std::string server = options.server.to_string();
  int code = kExitOk;
  if (!result.failure.empty()) {
    report(result.failure);
    code = kExitRuntimeError;
  }
  if (result.errors.connect > 0) {
    report("cannot connect to " + server + ": " + result.first_errors.connect + " (" +
           std::to_string(result.errors.connect) + " of " + plural(options.connections, "connection") + ")");
    code = kExitRuntimeError;
  }
  if (result.errors.reset > 0) {
    report(plural(result.errors.reset, "connection") + " to " + server +
           " ended during the run: " + result.first_errors.reset);
    code = kExitRuntimeError;
  }
  if (result.errors.mismatch > 0) {
    std::string line = "echo differs from what was sent: " + plural(result.errors.mismatch, "mismatch", "mismatches");
    if (const auto& first = result.first_errors.mismatch) {
      line += "; first on connection " + std::to_string(first->connection) + " at byte offset " +
              std::to_string(first->offset) + " (expected " + hex_byte(first->expected) + ", got " +
              hex_byte(first->actual) + ")";
    }
    report(line);
    code = kExitRuntimeError;
  }
  // Connected, no other error, and still nothing came back: a server that
  // accepts and never answers must not pass for one that works. Unless the
  // operator cut the run short: zero in the table then says enough.
  if (code == kExitOk && result.open_connections > 0 && result.figures.messages == 0 && !result.stalled &&
      result.interrupted_by == 0) {
    if (options.udp) {
      report("no reply from " + server + " over UDP: " + plural(result.errors.timeout, "datagram") + " lost");
    } else {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.1f", summary.seconds);
      report("no message came back from " + server + " in " + seconds + " s");
    }
    code = kExitRuntimeError;
  }
  if (result.stalled) {
    report("no reply from " + server + " for " + std::to_string(eddy_load::kStallTimeout.count()) +
           " s; stopping");
    code = kExitRuntimeError;
  }
  if (result.time_limit_before_count && options.messages) {
    report("stopped at --duration after " + std::to_string(result.figures.messages) + " of " +
           plural(*options.messages, "message"));
    code = kExitRuntimeError;
  }
  if (options.server_pid && !result.server_cpu) {
    report("warning: server CPU unknown: " + result.server_cpu_error);
  }
  // Only over a real measurement: a run that failed at once has no CPU share.
  if (result.figures.messages > 0 && summary.seconds >= 0.5 &&
      summary.generator_cpu_percent_per_thread > eddy_load::kGeneratorBusyPercent) {
    report("generator above 90% CPU: figures may be limited by the generator");
  }
  return code;
}

int run(const LoadOptions& options) {
  const bool live = ::isatty(STDERR_FILENO) == 1;
  std::function<void(const eddy_load::ProgressSample&)> on_progress;
  if (live) {
    on_progress = [](const eddy_load::ProgressSample& sample) {
      std::fprintf(stderr, "%s\n", eddy_load::format_progress(sample).c_str());
    };
  }
  // Before any other thread, so that every thread inherits the mask that
  // blocks SIGINT and SIGTERM. It lives until the summary is out, so that a
  // second signal exits at once up to then.
  eddy_load::InterruptRequest interrupt;
  const eddy_load::InterruptSignals signals(options.backend, [&interrupt](int signo) { interrupt.request(signo); });
  const LoadResult result = eddy_load::run_load(options, on_progress, interrupt);
  const eddy_load::Summary summary = eddy_load::summarize(result);
  const bool interrupted = result.interrupted_by != 0;
  // Without a single connection there is nothing to tabulate, unless the
  // table is the only place that says the run was interrupted; scripts
  // always get their JSON object, with the errors in it.
  if (options.json) {
    eddy_load::print_json(stdout, options, result, summary);
  } else if (result.open_connections > 0 || interrupted) {
    eddy_load::print_table(stdout, options, result, summary);
  }
  std::fflush(stdout);
  int code = report_errors(options, result, summary);
  if (interrupted) {
    code = kExitSignalBase + result.interrupted_by;
  }
  if (result.threads_stuck) {
    if (interrupted && result.interrupted_in == eddy_load::RunPhase::kConnecting) {
      report("connect attempts still under way after the interrupt; exiting");  // they cannot be cancelled
    } else {
      report("worker threads did not stop within " + std::to_string(eddy_load::kDrainTimeout.count()) +
             " s of the end; exiting");
    }
    std::fflush(stderr);
    std::_Exit(interrupted ? code : kExitRuntimeError);  // they cannot be joined
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  LoadOptions options;
  if (std::optional<int> exit_code = parse_command_line(argc, argv, options)) {
    return *exit_code;
  }

  // A server that resets while we write must cost one connection, not the
  // process. send() passes MSG_NOSIGNAL; this covers any other write.
  std::signal(SIGPIPE, SIG_IGN);

  try {
    // Each worker builds its own loop; building one here first turns an
    // unknown EDDY_BACKEND into a usage error before any thread starts.
    const eddy::Loop probe(eddy::LoopOptions{options.backend});
  } catch (const std::invalid_argument& e) {
    report(e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    report(std::string("cannot create the event loop: ") + e.what());
    return kExitRuntimeError;
  }

  try {
    return run(options);
  } catch (const std::exception& e) {
    report(e.what());
    return kExitRuntimeError;
  }
}
