#include "support/pipe.hpp"

#include "support/fd_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace eddy::test {

Pipe::Pipe() {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

Pipe::~Pipe() {
  close_read();
  close_write();
}

void Pipe::write_byte() const { test::write_byte(write_fd_); }

std::size_t Pipe::drain() const { return test::drain(read_fd_); }

void Pipe::close_read() {
  if (read_fd_ >= 0) {
    ::close(std::exchange(read_fd_, -1));
  }
}

void Pipe::close_write() {
  if (write_fd_ >= 0) {
    ::close(std::exchange(write_fd_, -1));
  }
}

int Pipe::release_read() noexcept { return std::exchange(read_fd_, -1); }

}  // namespace eddy::test
