#pragma once

#include <eddy/clock.hpp>
#include <eddy/unique_fd.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace eddy::test {

// The test's side of a connection: plain syscalls on a non-blocking socket,
// so that what the peer sees is what the kernel delivered, not what eddy
// says it sent.

// How a peer's socket stands after reading what was available.
enum class PeerState { kOpen, kEof, kReset };

// Reads everything available now, appending it to `out` (bounded by
// `limit` bytes in total per call). kEof after read() returned 0, kReset
// after ECONNRESET; throws std::system_error on any other error.
PeerState read_available(int fd, std::string& out, std::size_t limit = SIZE_MAX);

// Reads into `out` until EOF or reset, or until `deadline` passes (then
// returns kOpen). Waits with poll(2) between reads.
PeerState read_until_closed(int fd, std::string& out, Duration deadline);

// Sends what the kernel takes now (MSG_NOSIGNAL): 0 when the socket buffer
// is full. Throws std::system_error on errors other than EAGAIN.
std::size_t send_some(int fd, std::string_view data);

// Waits up to `deadline` for `fd` to be readable (data, EOF or error).
bool wait_readable(int fd, Duration deadline);

// SO_LINGER {1, 0} then close: the other end gets RST instead of FIN.
void reset_and_close(UniqueFd& fd);

// shutdown(SHUT_WR): the other end reads EOF; this end can still read.
void shutdown_write(int fd);

}  // namespace eddy::test
