#pragma once

#include <cstddef>

namespace eddy::test {

// A pipe2(O_NONBLOCK | O_CLOEXEC) pair that closes whatever ends it still
// owns on destruction. Throws std::system_error when pipe2 fails.
class Pipe {
 public:
  Pipe();
  ~Pipe();

  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  int read_fd() const noexcept { return read_fd_; }
  int write_fd() const noexcept { return write_fd_; }

  // Makes the read end readable.
  void write_byte() const;
  // Empties the pipe; returns the number of bytes read.
  std::size_t drain() const;

  // Close one end now (idempotent).
  void close_read();
  void close_write();

  // Gives up ownership of the read end: the caller closes it.
  int release_read() noexcept;

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

}  // namespace eddy::test
