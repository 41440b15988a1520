// eddy-echo: the echo server of the libevent tutorial that eddy started from
// (port 25341), in its production form: TCP on eddy::TcpServer (one loop
// per thread, backpressure, idle timeouts, a connection cap, graceful
// stop), or UDP with --udp. docs/echo.md describes the flags, the signals,
// the stats line and how memory stays bounded.
//
// Exit codes (echo_cli.hpp): 0 after a graceful stop or --help/--version,
// 1 when the server cannot run, 2 for a bad command line, 128 + signo when a
// second SIGINT/SIGTERM cuts a graceful stop short.

#include "echo_cli.hpp"
#include "echo_log.hpp"
#include "echo_options.hpp"
#include "tcp_echo.hpp"
#include "udp_echo.hpp"

#include <eddy/log.hpp>
#include <eddy/loop.hpp>

#include <csignal>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
  using namespace eddy_echo;

  EchoOptions options;
  if (std::optional<int> exit_code = parse_command_line(argc, argv, options)) {
    return *exit_code;
  }
  install_log_sink();
  eddy::set_log_level(options.log_level);

  // A peer that resets while we write must cost one connection, not the
  // process. eddy sends with MSG_NOSIGNAL; this covers any other write.
  std::signal(SIGPIPE, SIG_IGN);

  // The main thread's loop: signals and stats (and, with --udp, the socket).
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
    return options.udp ? run_udp_echo(options, *loop) : run_tcp_echo(options, *loop);
  } catch (const std::exception& e) {
    report(e.what());
    return kExitRuntimeError;
  }
}
