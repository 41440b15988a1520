#pragma once

#include <eddy/clock.hpp>
#include <eddy/function.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/tcp_connection.hpp>

#include <cstdint>
#include <string_view>
#include <system_error>

namespace eddy {

class Loop;

using ConnectCallback = Function<void(std::error_code error, TcpConnection::Ptr connection)>;

// Connects to `address` without blocking and calls `on_connected` on the
// loop's thread, exactly once: with a started-later connection (set its
// callbacks, then start()) and no error, or with the error and a null
// pointer: connection refused, unreachable, or std::errc::timed_out when
// `timeout` (if positive) expires first. The attempt keeps the loop
// running until it completes.
void connect(Loop& loop, const SocketAddress& address, Duration timeout, ConnectCallback on_connected,
             const TcpConnectionOptions& options = {});

// Same with a host and a port. The host is a numeric IPv4/IPv6 address or
// "localhost"; other names fail with std::errc::invalid_argument rather than
// block the loop on a DNS lookup.
void connect(Loop& loop, std::string_view host, std::uint16_t port, Duration timeout, ConnectCallback on_connected,
             const TcpConnectionOptions& options = {});

}  // namespace eddy
