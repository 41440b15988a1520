#pragma once

#include "evbuffer.hpp"

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

// A socket bufferevent's reads by completion, where its base runs on
// eddy's uring backend with completions (docs/compat.md, "io_uring"): a
// receive request in the ring, into blocks of the loop's pool that the
// kernel fills only when data is there, instead of a poll for readability
// and a read(2).
//
//   reading (enabled, nothing suspended) ──> receive in the ring
//   receive completes ──> what it brought is held here, ev_read activated
//   ev_read's callback (on_readable) ──> take(): held bytes into the input
//                                   ──> sync(): the next receive
//
// ev_read then waits on no fd (fd -1, which libevent accepts and never
// reports ready), so it still counts as added, carries the read timeout,
// and its callback still runs from the base's active queue in priority
// order; the write
// side keeps waiting for readiness (a send by request would read chains
// the program may still rearrange). Bufferevents with a lock stay on
// readiness: requests are started on the loop's thread only.
class SocketReceiver final : public detail::IoHandle {
 public:
  // A receiver for `fd`, or nullptr where the base has no completions or
  // the loop cannot register one (the bufferevent then reads on
  // readiness).
  static std::unique_ptr<SocketReceiver> make(BufferEvent& b, int fd) noexcept;
  // Cancels the receive in flight at once (before the fd is closed) and
  // gives back what it held.
  ~SocketReceiver();

  SocketReceiver(const SocketReceiver&) = delete;
  SocketReceiver& operator=(const SocketReceiver&) = delete;

  // Whether the bufferevent reads (enabled and not suspended: where ev_read
  // would be registered for the fd), then sync().
  void want(bool wanted) noexcept;
  // Starts or stops the receive to match whether the bufferevent reads now;
  // asks for ev_read's callback again when something is held for it.
  void sync() noexcept;
  // What arrived, as a read(2) of at most `most` bytes into `input` would
  // report it: bytes, the end of the stream, an error, or nothing yet.
  IoResult take(evbuffer& input, std::size_t most) noexcept;

 private:
  SocketReceiver(BufferEvent& b, detail::LoopCore& core, int fd) noexcept;
  static void on_ready(detail::IoHandle& handle, unsigned events);
  void on_completion() noexcept;
  bool reading() const noexcept;
  bool has_news() const noexcept { return held_bytes_ != 0 || read_directly_ || end_ != kNoEnd; }
  void free_held() noexcept;

  static constexpr int kNoEnd = 1;

  BufferEvent& b_;
  detail::LoopCore& core_;
  detail::Block* held_ = nullptr;  // received, not yet taken: a chain through Block::next
  detail::Block* held_tail_ = nullptr;
  std::size_t held_bytes_ = 0;
  int end_ = kNoEnd;  // 0: the peer's EOF; minus an errno: the stream's error
  bool wanted_ = false;
  bool armed_ = false;          // a receive is in the ring
  bool stopping_ = false;       // ... and its cancellation too
  bool read_directly_ = false;  // the ring had no block for it: take() reads with read(2)
};

}  // namespace eddy::compat
