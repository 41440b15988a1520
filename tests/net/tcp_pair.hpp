#pragma once

#include <eddy/unique_fd.hpp>

#include <sys/socket.h>

namespace eddy::test {

// Both ends of one TCP connection over loopback, made with plain syscalls:
// `ours` is handed to the code under test (TcpConnection::adopt), `peer` is
// driven by the test through peer_io.hpp. Both are non-blocking and
// close-on-exec.
struct TcpPair {
  UniqueFd ours;
  UniqueFd peer;
};

struct TcpPairOptions {
  int family = AF_INET;  // AF_INET (127.0.0.1) or AF_INET6 (::1)
  // When positive, SO_SNDBUF and SO_RCVBUF for both ends, set before the
  // handshake so that the window follows: small buffers make "the kernel
  // will not take more" happen after kilobytes instead of megabytes.
  int buffer_size = 0;
};

// Throws std::system_error naming the failed step.
TcpPair make_tcp_pair(const TcpPairOptions& options = {});

}  // namespace eddy::test
