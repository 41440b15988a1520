#include "timeout_heap.hpp"

namespace eddy::compat {

void TimeoutHeap::push(event* ev) {
  heap_.push_back(ev);
  sift_up(heap_.size() - 1, ev);
}

void TimeoutHeap::remove(event* ev) noexcept {
  const auto i = static_cast<std::size_t>(ev->ev_timeout_pos.min_heap_idx);
  ev->ev_timeout_pos.min_heap_idx = -1;
  event* last = heap_.back();
  heap_.pop_back();
  if (last == ev) {
    return;
  }
  // The last element fills the hole; it may belong above or below it.
  if (i > 0 && earlier(last, heap_[(i - 1) / 2])) {
    sift_up(i, last);
  } else {
    sift_down(i, last);
  }
}

void TimeoutHeap::sift_up(std::size_t i, event* ev) noexcept {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!earlier(ev, heap_[parent])) {
      break;
    }
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, ev);
}

void TimeoutHeap::sift_down(std::size_t i, event* ev) noexcept {
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) {
      break;
    }
    if (child + 1 < n && earlier(heap_[child + 1], heap_[child])) {
      ++child;
    }
    if (!earlier(heap_[child], ev)) {
      break;
    }
    place(i, heap_[child]);
    i = child;
  }
  place(i, ev);
}

}  // namespace eddy::compat
