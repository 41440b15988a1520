#pragma once

#include "echo_options.hpp"

namespace eddy {
class Loop;
}

namespace eddy_echo {

// Serves TCP echo on an eddy::TcpServer (options.threads loops) until
// SIGINT or SIGTERM, then stops gracefully: no new connections, queued
// output flushed for up to options.shutdown_timeout, the rest closed.
// `loop` is the main thread's loop: it carries the signals and the stats
// timer, never a connection. Returns the exit code; throws
// std::system_error when the server cannot listen ("cannot listen on
// 0.0.0.0:25341: Address already in use").
int run_tcp_echo(const EchoOptions& options, eddy::Loop& loop);

}  // namespace eddy_echo
