#pragma once

namespace eddy {

// Readiness bits passed to IoWatcher::start() (kReadable, kWritable) and
// reported to its callback (all four). kError and kHangup are always
// reported when the kernel signals them, whatever the interest.
enum IoEvents : unsigned {
  kNone = 0,
  kReadable = 1U << 0,
  kWritable = 1U << 1,
  kError = 1U << 2,   // EPOLLERR / POLLERR / POLLNVAL: call getsockopt(SO_ERROR) or read() to learn why
  kHangup = 1U << 3,  // EPOLLHUP / POLLHUP: the peer closed both directions (a read returns 0 or an error)
};

}  // namespace eddy
