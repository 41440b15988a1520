#pragma once

#include "event_fields.hpp"

#include <vector>

namespace eddy::compat {

// Events with a pending timeout, ordered by ev_timeout (absolute, on the
// monotonic clock). Each event stores its index in
// ev_timeout_pos.min_heap_idx, so removal is O(log n) without a search.
class TimeoutHeap {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  event* top() const noexcept { return heap_.front(); }
  event* at(std::size_t i) const noexcept { return heap_[i]; }

  void reserve_one_more() { heap_.reserve(heap_.size() + 1); }
  void push(event* ev);
  void remove(event* ev) noexcept;

 private:
  static bool earlier(const event* a, const event* b) noexcept {
    return timercmp(&a->ev_timeout, &b->ev_timeout, <);
  }
  void place(std::size_t i, event* ev) noexcept {
    heap_[i] = ev;
    ev->ev_timeout_pos.min_heap_idx = static_cast<int>(i);
  }
  void sift_up(std::size_t i, event* ev) noexcept;
  void sift_down(std::size_t i, event* ev) noexcept;

  std::vector<event*> heap_;
};

}  // namespace eddy::compat
