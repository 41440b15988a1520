#pragma once

#include <cstddef>

namespace eddy::test {

// A connected AF_UNIX stream socket pair, non-blocking and close-on-exec,
// that closes whatever ends it still owns on destruction. Throws
// std::system_error when socketpair fails.
class SocketPair {
 public:
  SocketPair();
  ~SocketPair();

  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;

  int first() const noexcept { return first_; }
  int second() const noexcept { return second_; }

  // Close one end now (idempotent).
  void close_first();
  void close_second();

 private:
  int first_ = -1;
  int second_ = -1;
};

}  // namespace eddy::test
