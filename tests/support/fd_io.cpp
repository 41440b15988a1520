#include "support/fd_io.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace eddy::test {

void write_byte(int fd, char byte) {
  ssize_t n;
  do {
    n = ::write(fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    throw std::system_error(errno, std::generic_category(), "write_byte");
  }
}

std::size_t fill(int fd) {
  static const char chunk[4096] = {};
  std::size_t total = 0;
  for (;;) {
    const ssize_t n = ::write(fd, chunk, sizeof chunk);
    if (n > 0) {
      total += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return total;
    }
    throw std::system_error(errno, std::generic_category(), "fill");
  }
}

std::size_t drain(int fd) {
  char buffer[4096];
  std::size_t total = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      total += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      return total;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return total;
    }
    throw std::system_error(errno, std::generic_category(), "drain");
  }
}

void close_fd(int fd) {
  if (::close(fd) != 0 && errno == EBADF) {
    throw std::system_error(errno, std::generic_category(), "close");
  }
}

}  // namespace eddy::test
