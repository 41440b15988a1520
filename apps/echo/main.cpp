// eddy-echo: a TCP echo server on eddy's event loop.
//
// It is the echo server of the libevent tutorial that eddy started from
// (port 25341), done right: non-blocking writes that queue what the kernel
// does not take, binary-safe buffers, every error path handled, and every
// connection freed when it closes or when the server shuts down.
//
// Exit codes: 0 after SIGINT/SIGTERM (or --help/--version), 1 when the server
// cannot run (address in use, ...), 2 for a bad command line.

#include "echo_options.hpp"
#include "echo_server.hpp"
#include "listen_socket.hpp"
#include <eddy/socket_address.hpp>

#include <eddy/loop.hpp>
#include <eddy/signal_watcher.hpp>
#include <eddy/version.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace {

using eddy_echo::EchoOptions;
using eddy::SocketAddress;

constexpr int kExitOk = 0;
constexpr int kExitRuntimeError = 1;
constexpr int kExitUsage = 2;

// Prints "eddy-echo: <message>" on stderr as a single line, so that scripts
// and tests can read one line per problem.
void report(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::fprintf(stderr, "eddy-echo: %s\n", message.c_str());
}

// Fills `options` from the command line. Returns the exit code when the
// program must stop here: after --help or --version, or on a usage error.
std::optional<int> parse_command_line(int argc, char** argv, EchoOptions& options) {
  CLI::App app("A TCP echo server built on eddy's event loop.", "eddy-echo");
  app.set_version_flag("--version", std::string("eddy-echo ") + EDDY_VERSION_STRING);
  int port = options.port;  // an int, so that 70000 fails the range check instead of wrapping
  app.add_option("--port", port, "TCP port to listen on")->check(CLI::Range(1, 65535))->capture_default_str();
  app.add_option("--bind", options.bind, "numeric IPv4 or IPv6 address to listen on (0.0.0.0, ::, ::1, ...)")
      ->capture_default_str();
  app.add_option("--backend", options.backend, "readiness backend; default: $EDDY_BACKEND, else epoll")
      ->check(CLI::IsMember({"epoll", "poll"}));
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
  return std::nullopt;
}

// Listens on `address` and runs `loop` until SIGINT or SIGTERM.
int serve(eddy::Loop& loop, const eddy::SocketAddress& address) {
  std::error_code ec;
  eddy::UniqueFd listener = eddy_echo::listen_on(address, ec);
  if (ec) {
    report("cannot listen on " + address.to_string() + ": " + ec.message());
    return kExitRuntimeError;
  }
  eddy_echo::EchoServer server(loop, std::move(listener));
  server.start();

  // The signals arrive through a signalfd, so this is an ordinary callback on
  // the loop's thread, free to close connections. Every connection is closed
  // and freed before run() returns.
  auto shut_down = [&server, &loop](int /*signo*/) {
    report("shutting down");
    server.stop();
    loop.stop();
  };
  eddy::SignalWatcher on_interrupt(loop, SIGINT, shut_down);
  eddy::SignalWatcher on_terminate(loop, SIGTERM, shut_down);
  on_interrupt.start();
  on_terminate.start();

  report("listening on " + address.to_string() + " (" + std::string(loop.backend_name()) + ")");
  loop.run();
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  EchoOptions options;
  if (std::optional<int> exit_code = parse_command_line(argc, argv, options)) {
    return *exit_code;
  }
  const std::optional<eddy::SocketAddress> address = eddy::SocketAddress::parse(options.bind, options.port);
  if (!address) {
    report("--bind: not a numeric IPv4 or IPv6 address: " + options.bind);
    return kExitUsage;
  }

  // A peer that resets while we write must cost one connection, not the
  // process. send() passes MSG_NOSIGNAL; this covers any other write.
  std::signal(SIGPIPE, SIG_IGN);

  std::optional<eddy::Loop> loop;
  try {
    // An empty backend lets the Loop read EDDY_BACKEND; an unknown name
    // there is a usage error too.
    loop.emplace(eddy::LoopOptions{options.backend});
  } catch (const std::invalid_argument& e) {
    report(e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    report(std::string("cannot create the event loop: ") + e.what());
    return kExitRuntimeError;
  }

  try {
    return serve(*loop, *address);
  } catch (const std::exception& e) {
    report(e.what());
    return kExitRuntimeError;
  }
}
