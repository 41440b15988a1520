#pragma once

#include <cstdint>

namespace eddy::detail {

class LoopCore;
class IoTable;

// IoHandle::events_ of a handle registered for completions
// (LoopCore::completion_start) rather than readiness: above every IoEvents
// bit, so it reports none of them.
inline constexpr std::uint8_t kCompletionHandle = 0x80;

// What a Loop knows of one fd registration: the fd, the interest, the slot
// in the loop's table and one function to call when the fd is ready.
//
// IoWatcher is this plus a Function; TcpConnection embeds an IoHandle
// directly with a plain function pointer, so that an idle connection does
// not carry a Function's 56 bytes for a callback that is the same for every
// connection. Not for use outside the library: its members are driven by
// LoopCore (io_start, io_stop); its owner stops it before destroying it
// (the handle does not know its loop). The same rules as IoWatcher's apply (a
// stopped handle is never called, not even for an event already collected).
class IoHandle {
 public:
  // Called on the loop's thread with the ready events (the interest plus
  // kError/kHangup). The handle may be stopped or destroyed inside.
  using ReadyFunction = void (*)(IoHandle& handle, unsigned events);

  IoHandle(int fd, ReadyFunction on_ready) noexcept : on_ready_(on_ready), fd_(fd) {}

  IoHandle(const IoHandle&) = delete;
  IoHandle& operator=(const IoHandle&) = delete;

  bool is_active() const noexcept { return events_ != 0; }
  unsigned events() const noexcept { return events_; }
  int fd() const noexcept { return fd_; }

  // Watches another fd from now on. Only while inactive (not checked here):
  // an active registration is keyed by its fd.
  void reset_fd(int fd) noexcept { fd_ = fd; }

 private:
  friend class LoopCore;
  friend class IoTable;

  ReadyFunction on_ready_;
  int fd_;
  std::uint32_t slot_ = 0;        // index in the loop's table while active
  std::uint32_t generation_ = 0;  // stamped by the table at registration (its tokens carry it)
  std::uint8_t events_ = 0;  // current interest (IoEvents, all below 1 << 8); 0 when inactive
  bool counted_ = true;      // counts towards Loop::active_count() (false for the loop's own)
  // Registered for completions beside a readiness watcher of the same fd
  // (LoopCore::completion_start_beside): the fd stays the watcher's.
  bool beside_ = false;
};

}  // namespace eddy::detail
