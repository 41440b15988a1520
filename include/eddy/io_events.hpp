#pragma once

namespace eddy {

// Readiness bits passed to IoWatcher::start() (kReadable, kWritable,
// kPeerClosed, kEdgeTriggered) and reported to its callback (all but
// kEdgeTriggered). kError and kHangup are always reported when the kernel
// signals them, whatever the interest.
enum IoEvents : unsigned {
  kNone = 0,
  kReadable = 1U << 0,
  kWritable = 1U << 1,
  kError = 1U << 2,   // EPOLLERR / POLLERR / POLLNVAL: call getsockopt(SO_ERROR) or read() to learn why
  kHangup = 1U << 3,  // EPOLLHUP / POLLHUP: the peer closed both directions (a read returns 0 or an error)
  // The peer shut down its sending side (EPOLLRDHUP / POLLRDHUP), reported
  // even while unread data is queued; a kReadable watcher sees the FIN as
  // readability anyway.
  kPeerClosed = 1U << 4,
  // Interest modifier: report readiness only when it changes (EPOLLET). The
  // poll backend has no edge mode and stays level-triggered.
  kEdgeTriggered = 1U << 5,
};

}  // namespace eddy
