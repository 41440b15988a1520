#pragma once

#include "event_fields.hpp"

#include <vector>

namespace eddy::compat {

// A FIFO of events, linked through their own evcb_active_next, so queueing
// one allocates nothing. An event is in at most one queue at a time.
class EventQueue {
 public:
  EventQueue() = default;
  // Tails point into the queue itself: copy only empty queues.
  EventQueue(const EventQueue&) noexcept : EventQueue() {}
  EventQueue& operator=(const EventQueue&) = delete;

  bool empty() const noexcept { return head_ == nullptr; }
  int size() const noexcept { return size_; }
  event* front() const noexcept { return head_ == nullptr ? nullptr : as_event(head_); }

  void push_back(event* ev) noexcept {
    event_callback* cb = as_callback(ev);
    cb->evcb_active_next.next = nullptr;
    cb->evcb_active_next.prev_next = tail_;
    *tail_ = cb;
    tail_ = &cb->evcb_active_next.next;
    ++size_;
  }

  void remove(event* ev) noexcept {
    event_callback* cb = as_callback(ev);
    if (cb->evcb_active_next.next != nullptr) {
      cb->evcb_active_next.next->evcb_active_next.prev_next = cb->evcb_active_next.prev_next;
    } else {
      tail_ = cb->evcb_active_next.prev_next;
    }
    *cb->evcb_active_next.prev_next = cb->evcb_active_next.next;
    --size_;
  }

 private:
  event_callback* head_ = nullptr;
  event_callback** tail_ = &head_;
  int size_ = 0;
};

// The events whose callbacks are due, one queue per priority (0 runs first).
class ActiveQueues {
 public:
  ActiveQueues() { resize(1); }

  int priorities() const noexcept { return static_cast<int>(queues_.size()); }
  int size() const noexcept { return size_; }

  // Only while every queue is empty.
  void resize(int priorities) { queues_ = std::vector<EventQueue>(static_cast<std::size_t>(priorities)); }

  void push_back(event* ev) noexcept {
    queue(ev).push_back(ev);
    ++size_;
  }
  void remove(event* ev) noexcept {
    queue(ev).remove(ev);
    --size_;
  }
  event* front(int priority) const noexcept { return queues_[static_cast<std::size_t>(priority)].front(); }

 private:
  EventQueue& queue(const event* ev) noexcept { return queues_[static_cast<std::size_t>(priority_of(ev))]; }

  std::vector<EventQueue> queues_;
  int size_ = 0;
};

}  // namespace eddy::compat
