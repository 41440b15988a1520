#pragma once

namespace eddy {

// Readiness bits passed to IoWatcher::start() (kReadable, kWritable,
// kPeerClosed, kEdgeTriggered, kExclusive) and reported to its callback
// (all but the two modifiers). kError and kHangup are always reported when
// the kernel signals them, whatever the interest.
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
  // Interest modifier for a file that several loops watch at once (the
  // listening socket a TcpServer's threads share): each readiness wakes one
  // loop that is waiting, not all of them (EPOLLEXCLUSIVE, Linux 4.5). A
  // loop that was busy may still see the event and find nothing left to
  // do, so the callback must tolerate EAGAIN. With it only kReadable and
  // kWritable are reported (no kPeerClosed). The poll backend has no such
  // mode and wakes every loop.
  kExclusive = 1U << 6,
};

}  // namespace eddy
