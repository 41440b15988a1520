#pragma once

#include "sys/fd.hpp"

#include <eddy/function.hpp>

#include <atomic>
#include <mutex>
#include <vector>

namespace eddy::detail {

// Tasks posted to a loop from any thread, and the eventfd that wakes it.
//
//   producers --push--> incoming_ --take (swap)--> the loop's batch vector
//
// push() signals the eventfd only when it finds incoming_ empty: the loop
// takes the whole queue at once, so one wakeup per batch is enough, and a
// push that finds the queue non-empty knows a wakeup is already pending.
// Both vectors keep their capacity, so a warmed-up queue of small tasks
// allocates nothing.
class PostQueue {
 public:
  using Task = Function<void()>;

  PostQueue();

  int wakeup_fd() const noexcept { return wakeup_.get(); }
  // Replaces the eventfd (after fork() it is shared with the parent). A
  // wakeup owed to tasks already queued is signalled on the new one.
  void renew_wakeup();

  void push(Task task);
  // Moves every queued task into `batch`, which must be empty: the two
  // vectors are swapped, so both keep their capacity.
  void take(std::vector<Task>& batch);
  // Tasks pushed and not yet taken. Exact when read on the loop's thread
  // between take() calls; a hint from other threads.
  std::size_t pending() const noexcept { return pending_.load(std::memory_order_acquire); }

 private:
  sys::UniqueFd wakeup_;
  std::mutex mutex_;
  std::vector<Task> incoming_;
  std::atomic<std::size_t> pending_{0};
};

}  // namespace eddy::detail
