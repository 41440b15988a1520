#pragma once

#include <eddy/clock.hpp>

#include <cstdint>

namespace eddy::detail {

class LoopCore;
class TimerHeap;

// What a Loop knows of one timer: when it is due, where it sits in the
// loop's heap, and one function to call when it expires.
//
// Timer is this plus a Function, a timeout and a repeat interval;
// TcpConnection embeds a TimerNode directly with a plain function pointer
// (see IoHandle for why). Not for use outside the library: LoopCore
// schedules, cancels and fires it; its owner cancels it before destroying
// it (the node does not know its loop). A node is out of the heap when its
// function runs, and may be scheduled again or destroyed inside it.
class TimerNode {
 public:
  using ExpireFunction = void (*)(TimerNode& node);

  explicit TimerNode(ExpireFunction on_expire) noexcept : on_expire_(on_expire) {}

  TimerNode(const TimerNode&) = delete;
  TimerNode& operator=(const TimerNode&) = delete;

  bool is_active() const noexcept { return heap_index_ != kNotInHeap; }
  // When the function is due (meaningful while active).
  TimePoint due() const noexcept { return due_; }

 private:
  friend class LoopCore;
  friend class TimerHeap;
  static constexpr std::uint32_t kNotInHeap = ~std::uint32_t{0};

  ExpireFunction on_expire_;
  TimePoint due_{};                       // when it must run; >= its heap key (refresh() moves it later)
  std::uint32_t heap_index_ = kNotInHeap;
};

}  // namespace eddy::detail
