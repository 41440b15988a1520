#pragma once

#include <cstddef>
#include <system_error>

namespace eddy {

// What one non-blocking read or write did. Exactly one of these holds:
//
//   bytes > 0            data moved (error and eof are clear)
//   eof                  the peer closed its end: read(2) returned 0
//   error                the call failed (ECONNRESET, EPIPE, EBADF, ...)
//   none of the above    it would block (EAGAIN / EWOULDBLOCK): try again
//                        when the fd is ready; not an error
//
// EINTR never reaches the caller: the call is retried.
struct IoResult {
  std::size_t bytes = 0;
  std::error_code error;
  bool eof = false;

  bool would_block() const noexcept { return bytes == 0 && !error && !eof; }
};

}  // namespace eddy
