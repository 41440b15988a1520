#include "timer_heap.hpp"


namespace eddy::detail {
namespace {
constexpr std::size_t kArity = 4;
}

void TimerHeap::place(std::size_t index, const Entry& entry) noexcept {
  entries_[index] = entry;
  entry.timer->heap_index_ = static_cast<std::uint32_t>(index);
}

void TimerHeap::sift_up(std::size_t index) noexcept {
  const Entry moving = entries_[index];
  while (index > 0) {
    const std::size_t parent = (index - 1) / kArity;
    if (!before(moving, entries_[parent])) {
      break;
    }
    place(index, entries_[parent]);
    index = parent;
  }
  place(index, moving);
}

void TimerHeap::sift_down(std::size_t index) noexcept {
  const Entry moving = entries_[index];
  const std::size_t n = entries_.size();
  for (;;) {
    const std::size_t first = index * kArity + 1;
    if (first >= n) {
      break;
    }
    const std::size_t end = first + kArity < n ? first + kArity : n;
    std::size_t best = first;
    for (std::size_t child = first + 1; child < end; ++child) {
      if (before(entries_[child], entries_[best])) {
        best = child;
      }
    }
    if (!before(entries_[best], moving)) {
      break;
    }
    place(index, entries_[best]);
    index = best;
  }
  place(index, moving);
}

void TimerHeap::sift(std::size_t index) noexcept {
  if (index > 0 && before(entries_[index], entries_[(index - 1) / kArity])) {
    sift_up(index);
  } else {
    sift_down(index);
  }
}

void TimerHeap::schedule(TimerNode& timer, TimePoint key) {
  const Entry entry{key, next_sequence_++, &timer};
  if (timer.heap_index_ == TimerNode::kNotInHeap) {
    entries_.push_back(entry);
    timer.heap_index_ = static_cast<std::uint32_t>(entries_.size() - 1);
    sift_up(timer.heap_index_);
  } else {
    entries_[timer.heap_index_] = entry;
    sift(timer.heap_index_);
  }
}

void TimerHeap::rekey(TimerNode& timer, TimePoint key) noexcept {
  entries_[timer.heap_index_].key = key;
  sift(timer.heap_index_);
}

void TimerHeap::remove(TimerNode& timer) noexcept {
  const std::size_t index = timer.heap_index_;
  timer.heap_index_ = TimerNode::kNotInHeap;
  const std::size_t last = entries_.size() - 1;
  if (index != last) {
    entries_[index] = entries_[last];
    entries_[index].timer->heap_index_ = static_cast<std::uint32_t>(index);
    entries_.pop_back();
    sift(index);
  } else {
    entries_.pop_back();
  }
}

}  // namespace eddy::detail
