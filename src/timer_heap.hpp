#pragma once

#include <eddy/clock.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

#include <eddy/timer_node.hpp>

namespace eddy::detail {

// The active timers, as a 4-ary min-heap ordered by (key, sequence).
//
//               [0]
//      [1]   [2]   [3]   [4]        children of i: 4i+1 .. 4i+4
//   [5..8] [9..12] ...              parent of i:   (i-1)/4
//
// Each entry carries its key, so sifting compares entries in one array
// without chasing pointers; each TimerNode stores its own index (heap_index_),
// so removing or re-keying any timer is O(log n). The key is when the timer
// must be looked at; the node's due_ may be later (Timer::refresh() moves
// due_ without touching the heap, and the loop re-keys the entry when the
// key is reached). The sequence number orders equal keys by start order.
class TimerHeap {
 public:
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }
  TimePoint top_key() const noexcept { return entries_.front().key; }
  TimerNode& top() const noexcept { return *entries_.front().timer; }

  // Inserts `timer` with `key`, or re-keys it if it is already in the heap.
  // Either way it gets a new sequence number (it was started again).
  void schedule(TimerNode& timer, TimePoint key);
  // Changes the key of a timer that is in the heap, keeping its sequence.
  void rekey(TimerNode& timer, TimePoint key) noexcept;
  void remove(TimerNode& timer) noexcept;

 private:
  struct Entry {
    TimePoint key;
    std::uint64_t sequence;
    TimerNode* timer;
  };
  static bool before(const Entry& a, const Entry& b) noexcept {
    return a.key < b.key || (a.key == b.key && a.sequence < b.sequence);
  }
  void place(std::size_t index, const Entry& entry) noexcept;
  void sift_up(std::size_t index) noexcept;
  void sift_down(std::size_t index) noexcept;
  void sift(std::size_t index) noexcept;

  std::vector<Entry> entries_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace eddy::detail
