// A base's calls from threads other than its loop's (event_base.hpp,
// on_loop_thread): queued in order while the loop runs, run after each of
// its waits and before it stops.
#include "event_base.hpp"

#include <mutex>
#include <thread>

std::atomic<int> event_base::queued_anywhere{0};

void event_base::queue_foreign_call(eddy::Loop::Task call) {
  const std::lock_guard lock(foreign_mutex);
  foreign_calls.push_back(std::move(call));
  queued_anywhere.fetch_add(1, std::memory_order_relaxed);
  // The first call queued since the loop last ran them wakes it; what is
  // queued runs after its wait.
  if (!has_foreign_calls.exchange(true, std::memory_order_acq_rel)) {
    io_loop.post([] {});
  }
}

void event_base::run_foreign_calls() noexcept {
  while (has_foreign_calls.load(std::memory_order_acquire)) {
    {
      const std::lock_guard lock(foreign_mutex);
      foreign_batch.swap(foreign_calls);
      has_foreign_calls.store(false, std::memory_order_relaxed);
    }
    for (eddy::Loop::Task& call : foreign_batch) {
      call();
    }
    queued_anywhere.fetch_sub(static_cast<int>(foreign_batch.size()), std::memory_order_release);
    foreign_batch.clear();
  }
}

void event_base::stop_taking_foreign_calls() noexcept {
  for (;;) {
    run_foreign_calls();
    const std::lock_guard lock(handover_mutex);
    if (!has_foreign_calls.load(std::memory_order_acquire)) {
      loop_thread.store(std::thread::id{}, std::memory_order_release);
      return;
    }
  }
}
