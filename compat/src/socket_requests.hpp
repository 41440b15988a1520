#pragma once

#include "evbuffer.hpp"

#include <eddy/buffer.hpp>
#include <eddy/io_handle.hpp>
#include <eddy/io_result.hpp>

#include <cstddef>
#include <memory>

struct BufferEvent;

namespace eddy::detail {
struct Block;
class LoopCore;
}  // namespace eddy::detail

namespace eddy::compat {

// A socket bufferevent's reads and writes by completion, where its base
// runs on eddy's uring backend with completions (docs/compat.md,
// "Backends"): requests in the ring instead of polls for readiness and
// read(2)/send(2) system calls.
//
//   reading (enabled, nothing suspended) ──> receive in the ring
//   receive completes ──> what it brought is held here, ev_read activated
//   ev_read's callback (on_readable) ──> take(): held bytes into the input
//                                   ──> sync_receive(): the next receive
//
//   output to write ──> send_output(): the output's first bytes copied, sent
//   send completes ──> what went out drained from the output, ev_write activated
//   ev_write's callback (on_writable) ──> take_sent(): the next send, the
//                                         write callback
//
// ev_read and ev_write then wait on no fd (fd -1, which libevent accepts
// and never reports ready; ev_write only once connected, since the
// connection is seen by readiness), so they still count as added, carry
// the timeouts, and their callbacks still run from the base's active
// queue in priority order. Sends copy: the program may rearrange the
// output's chains (evbuffer_pullup, appends that realign) before the kernel
// is done with them. Bufferevents with a lock stay on readiness: requests
// are started on the loop's thread only.
class SocketRequests final : public detail::IoHandle {
 public:
  // Requests for `fd`, or nullptr where the base has no completions or
  // the loop cannot register them (the bufferevent then stays on
  // readiness).
  static std::unique_ptr<SocketRequests> make(BufferEvent& b, int fd) noexcept;
  // Cancels the requests in flight at once (before the fd is closed) and
  // gives back what they hold; a send's copy stays with the loop until the
  // kernel is done with it.
  ~SocketRequests();

  SocketRequests(const SocketRequests&) = delete;
  SocketRequests& operator=(const SocketRequests&) = delete;

  // Whether the bufferevent reads (enabled and not suspended: where ev_read
  // would be registered for the fd), then sync_receive().
  void want_reading(bool wanted) noexcept;
  // Starts or stops the receive to match whether the bufferevent reads now;
  // asks for ev_read's callback again when something is held for it.
  void sync_receive() noexcept;
  // What arrived, as a read(2) of at most `most` bytes into `input` would
  // report it: bytes, the end of the stream, an error, or nothing yet.
  IoResult take(evbuffer& input, std::size_t most) noexcept;

  // Starts a send of up to `most` of the output's first bytes, unless one
  // is in flight; false when there was no memory for the copy.
  bool send_output(evbuffer& output, std::size_t most) noexcept;
  bool sending() const noexcept { return send_in_flight_; }
  // A send of nothing, for the write callback that a writable socket gets
  // on readiness: its completion activates ev_write after whatever the
  // ring completed before it (a receive's data, so the read comes first).
  void probe_writable() noexcept;
  // What the last send did, once: bytes that went out (already drained
  // from the output and charged to the rate limit), an error, or nothing.
  IoResult take_sent() noexcept;

 private:
  SocketRequests(BufferEvent& b, detail::LoopCore& core, int fd) noexcept;
  static void on_ready(detail::IoHandle& handle, unsigned events);
  void on_received() noexcept;
  void on_sent(int result) noexcept;
  void start_send() noexcept;
  bool reading() const noexcept;
  bool has_news() const noexcept { return held_bytes_ != 0 || read_directly_ || end_ != kNoEnd; }
  void free_held() noexcept;

  static constexpr int kNoEnd = 1;

  BufferEvent& b_;
  detail::LoopCore& core_;
  // Receiving.
  detail::Block* held_ = nullptr;  // received, not yet taken: a chain through Block::next
  detail::Block* held_tail_ = nullptr;
  std::size_t held_bytes_ = 0;
  int end_ = kNoEnd;  // 0: the peer's EOF; minus an errno: the stream's error
  bool wanted_ = false;
  bool armed_ = false;          // a receive is in the ring
  bool stopping_ = false;       // ... and its cancellation too
  bool read_directly_ = false;  // the ring had no block for it: take() reads with read(2)
  // Sending: the copy in flight, and the result not yet taken.
  Buffer in_flight_;
  bool send_in_flight_ = false;
  bool sent_ = false;
  int sent_result_ = 0;  // bytes, or minus an errno
  bool probe_ordered_ = false;  // a probe's report waits in the loop's deferred tasks
};

}  // namespace eddy::compat
