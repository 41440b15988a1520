#include "sys/vector_io.hpp"

#include "sys/error.hpp"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

// The calls go through syscall(2), not glibc's readv/sendmsg/writev: in a
// process with more than one thread those wrappers are cancellation points
// and switch asynchronous cancellation on and off around every call, about
// 60 instructions of the 100 or so an echoed message spends in them
// (callgrind, glibc 2.36; docs/benchmarks.md). eddy's loops never rely on
// pthread_cancel, and a thread blocked in one of these non-blocking calls
// does not exist.
namespace eddy::sys {
namespace {

// The result of a call that returned n (or -1 with errno set).
IoResult result_of(ssize_t n) noexcept {
  IoResult result;
  if (n > 0) {
    result.bytes = static_cast<std::size_t>(n);
  } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
    result.error = last_error();
  }
  return result;
}

}  // namespace

IoResult read_vector(int fd, const iovec* iov, std::size_t count) noexcept {
  ssize_t n;
  do {
    n = ::syscall(SYS_readv, fd, iov, static_cast<int>(count));
  } while (n < 0 && errno == EINTR);
  IoResult result = result_of(n);
  result.eof = n == 0 && count > 0;
  return result;
}

IoResult write_vector(int fd, const iovec* iov, std::size_t count) noexcept {
  msghdr message{};
  // sendmsg does not write through msg_iov; the POSIX signature just lacks
  // the const.
  message.msg_iov = const_cast<iovec*>(iov);
  message.msg_iovlen = count;
  ssize_t n;
  do {
    n = ::syscall(SYS_sendmsg, fd, &message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == ENOTSOCK) {
    do {
      n = ::syscall(SYS_writev, fd, iov, static_cast<int>(count));
    } while (n < 0 && errno == EINTR);
  }
  return result_of(n);
}

}  // namespace eddy::sys
