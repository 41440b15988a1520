#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace eddy_echo {

// Counts the reads ("messages") of every connection of a TcpServer, whose
// connections live on several threads. eddy::TcpServerStats has bytes but
// not reads, so eddy-echo counts them itself.
//
// Each thread adds to its own counter on its own cache line, with a relaxed
// load and store rather than a locked add: counting costs the hot path no
// contention. total() may run on any thread at any time.
class ReadCounter {
 public:
  class Slot {
   public:
    // Only the thread that owns the slot calls this.
    void add(std::uint64_t n) noexcept {
      count_.store(count_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    std::uint64_t value() const noexcept { return count_.load(std::memory_order_relaxed); }

   private:
    alignas(64) std::atomic<std::uint64_t> count_{0};
  };

  ReadCounter();
  ReadCounter(const ReadCounter&) = delete;
  ReadCounter& operator=(const ReadCounter&) = delete;

  // The calling thread's slot, created on its first call (the only call
  // that takes the lock). The slot lives as long as the ReadCounter.
  Slot& slot_for_this_thread();

  std::uint64_t total() const;

 private:
  const std::uint64_t id_;  // tells this counter from earlier ones in a thread's cache
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace eddy_echo
