#pragma once

#include <cstddef>

namespace eddy::test {

// Writes one byte to a non-blocking fd. Throws std::system_error on failure
// (EAGAIN included: the tests that call it expect room).
void write_byte(int fd, char byte = 'x');

// Writes until the kernel reports EAGAIN, so that the fd stops being
// writable. Returns the number of bytes written.
std::size_t fill(int fd);

// Reads from a non-blocking fd until EAGAIN or end of file. Returns the
// number of bytes read. Throws std::system_error on other errors.
std::size_t drain(int fd);

// close(2) that throws std::system_error on EBADF, so that a test closing
// the wrong fd notices.
void close_fd(int fd);

}  // namespace eddy::test
