#pragma once

#include <eddy/io_result.hpp>

#include <sys/uio.h>

#include <cstddef>

namespace eddy::sys {

// Scatter and gather I/O for Buffer, with the conventions of IoResult: EINTR
// is retried, EAGAIN / EWOULDBLOCK come back as "would block" (no bytes, no
// error, no eof), and every other errno as an error_code.

// readv(2). A return of 0 with a non-empty request is end of file.
IoResult read_vector(int fd, const iovec* iov, std::size_t count) noexcept;

// sendmsg(2) with MSG_NOSIGNAL, so that writing to a socket whose peer has
// gone gives EPIPE instead of killing the process with SIGPIPE. When fd is
// not a socket (ENOTSOCK: a pipe, a file, a tty) the same call is made with
// writev(2); a pipe with no reader still raises SIGPIPE there, since
// writev has no flag to prevent it.
IoResult write_vector(int fd, const iovec* iov, std::size_t count) noexcept;

}  // namespace eddy::sys
