#pragma once

#include <eddy/socket_address.hpp>
#include <eddy/unique_fd.hpp>

#include <cstddef>
#include <system_error>

namespace eddy::sys {

// A non-blocking, close-on-exec socket of `family` and `type`.
UniqueFd open_socket(int family, int type, std::error_code& ec) noexcept;

// socket + SO_REUSEADDR (+ SO_REUSEPORT) + bind + listen.
UniqueFd listen_tcp(const SocketAddress& address, bool reuse_port, int backlog, std::error_code& ec) noexcept;

// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC, retrying EINTR. An empty fd
// with ec == EAGAIN means the backlog is empty.
UniqueFd accept_tcp(int listener, SocketAddress& peer, std::error_code& ec) noexcept;

// Errors that concern only the connection being accepted (accept(2),
// "Error handling"): the next one can be accepted at once.
bool is_per_connection_accept_error(const std::error_code& ec) noexcept;
bool is_out_of_descriptors(const std::error_code& ec) noexcept;

// Starts a non-blocking connect; EINPROGRESS is not an error.
UniqueFd connect_tcp(const SocketAddress& address, std::error_code& ec) noexcept;

// SO_ERROR: the pending error of a socket (the result of a connect).
std::error_code socket_error(int fd) noexcept;

void set_no_delay(int fd) noexcept;
void set_nonblocking(int fd) noexcept;
// SO_LINGER {1, 0}: close() sends RST and drops unsent data.
void set_reset_on_close(int fd) noexcept;
std::error_code shutdown_write(int fd) noexcept;

// Sends without blocking and without SIGPIPE (MSG_NOSIGNAL). Returns bytes
// sent; 0 with no error when the socket buffer is full.
std::size_t send_some(int fd, const void* data, std::size_t size, std::error_code& ec) noexcept;

}  // namespace eddy::sys
