#pragma once

#include "event_fields.hpp"

#include <vector>

namespace eddy::compat {

// The events whose callbacks are due, one FIFO per priority (0 runs first).
// Intrusive: an event is linked through its own evcb_active_next, so
// activating one allocates nothing.
class ActiveQueues {
 public:
  ActiveQueues() { resize(1); }

  int priorities() const noexcept { return static_cast<int>(queues_.size()); }
  int size() const noexcept { return size_; }

  // Only while every queue is empty (tails point into the vector).
  void resize(int priorities) {
    queues_.assign(static_cast<std::size_t>(priorities), Queue{});
    for (Queue& q : queues_) {
      q.tail = &q.head;
    }
  }

  void push_back(event* ev) noexcept {
    Queue& q = queues_[static_cast<std::size_t>(priority_of(ev))];
    event_callback* cb = as_callback(ev);
    cb->evcb_active_next.next = nullptr;
    cb->evcb_active_next.prev_next = q.tail;
    *q.tail = cb;
    q.tail = &cb->evcb_active_next.next;
    ++size_;
  }

  void remove(event* ev) noexcept {
    Queue& q = queues_[static_cast<std::size_t>(priority_of(ev))];
    event_callback* cb = as_callback(ev);
    if (cb->evcb_active_next.next != nullptr) {
      cb->evcb_active_next.next->evcb_active_next.prev_next = cb->evcb_active_next.prev_next;
    } else {
      q.tail = cb->evcb_active_next.prev_next;
    }
    *cb->evcb_active_next.prev_next = cb->evcb_active_next.next;
    --size_;
  }

  event* front(int priority) const noexcept {
    event_callback* cb = queues_[static_cast<std::size_t>(priority)].head;
    return cb == nullptr ? nullptr : as_event(cb);
  }

 private:
  struct Queue {
    event_callback* head = nullptr;
    event_callback** tail = nullptr;
  };
  std::vector<Queue> queues_;
  int size_ = 0;
};

}  // namespace eddy::compat
