#pragma once

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

// The read and write calls of the per-message path, made the way the
// kernel answers them: a result >= 0 is what the call returned, a result
// < 0 is minus its errno. Nothing here touches errno or builds a
// std::error_code (libstdc++'s system_category() is a call into the shared
// library), so the common outcomes - bytes moved, EAGAIN - cost a compare.
// EINTR is retried. Buffer::read_from/write_to and TcpConnection turn the
// rare errors into error_codes.
//
// Why not glibc's read/send: in a process with more than one thread they
// are cancellation points and switch asynchronous cancellation on and off
// around every call. On x86-64 Linux the system call is issued inline (the instruction and register convention of syscall(2),
// "Architecture calling conventions"), which also saves syscall(3)'s
// argument shuffle and errno store; elsewhere it goes through syscall(3).
namespace eddy::sys {

#if defined(__x86_64__) && defined(__linux__)

inline long raw_syscall(long number, long a1, long a2, long a3) noexcept {
  long result;
  __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a1), "S"(a2), "d"(a3) : "rcx", "r11", "memory");
  return result;
}

inline long raw_syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6) noexcept {
  long result;
  register long r10 __asm__("r10") = a4;
  register long r8 __asm__("r8") = a5;
  register long r9 __asm__("r9") = a6;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "a"(number), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return result;
}

#else

inline long raw_syscall(long number, long a1, long a2, long a3) noexcept {
  const long result = ::syscall(number, a1, a2, a3);
  return result < 0 ? -errno : result;
}

inline long raw_syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6) noexcept {
  const long result = ::syscall(number, a1, a2, a3, a4, a5, a6);
  return result < 0 ? -errno : result;
}

#endif

// EAGAIN and EWOULDBLOCK are one value on Linux; the test keeps both for
// other kernels.
constexpr bool is_would_block(long result) noexcept { return result == -EAGAIN || result == -EWOULDBLOCK; }

// read(2) into one piece. 0 with n > 0 is end of file.
inline long read_raw(int fd, void* data, std::size_t n) noexcept {
  long result;
  do {
    result = raw_syscall(SYS_read, fd, reinterpret_cast<long>(data), static_cast<long>(n));
  } while (result == -EINTR);
  return result;
}

// readv(2).
inline long readv_raw(int fd, const iovec* iov, std::size_t count) noexcept {
  long result;
  do {
    result = raw_syscall(SYS_readv, fd, reinterpret_cast<long>(iov), static_cast<long>(count));
  } while (result == -EINTR);
  return result;
}

// One piece to a socket with send(2) (sendto without an address) and
// MSG_NOSIGNAL, so a reset peer is EPIPE and never SIGPIPE; on ENOTSOCK (a
// pipe, a file, a tty) the same bytes go through write(2).
inline long send_raw(int fd, const void* data, std::size_t n) noexcept {
  long result;
  do {
    result = raw_syscall(SYS_sendto, fd, reinterpret_cast<long>(data), static_cast<long>(n), MSG_NOSIGNAL, 0, 0);
  } while (result == -EINTR);
  if (result == -ENOTSOCK) {
    do {
      result = raw_syscall(SYS_write, fd, reinterpret_cast<long>(data), static_cast<long>(n));
    } while (result == -EINTR);
  }
  return result;
}

// The same for several pieces: sendmsg(2) with MSG_NOSIGNAL, writev(2) on
// ENOTSOCK.
inline long sendv_raw(int fd, const iovec* iov, std::size_t count) noexcept {
  msghdr message{};
  // sendmsg does not write through msg_iov; the POSIX signature just lacks
  // the const.
  message.msg_iov = const_cast<iovec*>(iov);
  message.msg_iovlen = count;
  long result;
  do {
    result = raw_syscall(SYS_sendmsg, fd, reinterpret_cast<long>(&message), MSG_NOSIGNAL);
  } while (result == -EINTR);
  if (result == -ENOTSOCK) {
    do {
      result = raw_syscall(SYS_writev, fd, reinterpret_cast<long>(iov), static_cast<long>(count));
    } while (result == -EINTR);
  }
  return result;
}

}  // namespace eddy::sys
