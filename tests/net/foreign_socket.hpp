#pragma once

#include <eddy/socket_address.hpp>

namespace eddy::test {

// Binds a TCP socket with SO_REUSEPORT set to `to`, as any process of the
// same user could, and closes it again: returns bind's errno, or 0 when
// the socket could join the port.
int bind_with_reuse_port(const SocketAddress& to);

}  // namespace eddy::test
