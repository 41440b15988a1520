#include "post_queue.hpp"

namespace eddy::detail {

PostQueue::PostQueue() : wakeup_(sys::make_eventfd()) {}

void PostQueue::push(Task task) {
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    was_empty = incoming_.empty();
    incoming_.push_back(std::move(task));
    pending_.store(incoming_.size(), std::memory_order_release);
  }
  if (was_empty) {
    sys::eventfd_signal(wakeup_.get());
  }
}

void PostQueue::renew_wakeup() {
  wakeup_ = sys::make_eventfd();
  if (pending() != 0) {
    sys::eventfd_signal(wakeup_.get());
  }
}

void PostQueue::take(std::vector<Task>& batch) {
  std::lock_guard lock(mutex_);
  batch.swap(incoming_);
  pending_.store(0, std::memory_order_release);
}

}  // namespace eddy::detail
