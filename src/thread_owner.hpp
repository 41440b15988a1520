#pragma once

#include <atomic>
#include <thread>

namespace eddy::detail {

// Remembers which thread a loop belongs to and, in checked builds, aborts
// with a message when another thread uses it. The owner is an atomic so
// that the check itself is not a data race that TSan would report.
class ThreadOwner {
 public:
  ThreadOwner() noexcept : owner_(std::this_thread::get_id()) {}

  // Makes the calling thread the owner (run() hands a loop to its thread).
  void claim() noexcept { owner_.store(std::this_thread::get_id(), std::memory_order_relaxed); }

  bool is_current() const noexcept { return owner_.load(std::memory_order_relaxed) == std::this_thread::get_id(); }

  // Aborts unless the calling thread owns the loop. `operation` names what
  // was called, e.g. "Timer::start".
  void check(const char* operation) const noexcept {
#if EDDY_THREAD_CHECKS
    if (!is_current()) {
      fail(operation);
    }
#else
    (void)operation;
#endif
  }

 private:
  [[noreturn]] void fail(const char* operation) const noexcept;

  std::atomic<std::thread::id> owner_;
};

}  // namespace eddy::detail
