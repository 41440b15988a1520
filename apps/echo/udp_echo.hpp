#pragma once

#include "echo_options.hpp"

namespace eddy {
class Loop;
}

namespace eddy_echo {

// Serves UDP echo (RFC 862) until SIGINT or SIGTERM: each datagram goes
// back to its sender unchanged. One eddy::UdpSocket on `loop`, the main
// thread's loop, which also carries the signals and the stats timer:
// --threads does not apply. With --reuse-port the socket has SO_REUSEPORT,
// so other processes may bind the port too. A datagram the kernel will not take
// right now is dropped and counted, as UDP allows. Returns the exit code;
// throws std::system_error when the socket cannot be bound.
int run_udp_echo(const EchoOptions& options, eddy::Loop& loop);

}  // namespace eddy_echo
