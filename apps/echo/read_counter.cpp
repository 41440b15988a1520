#include "read_counter.hpp"

namespace eddy_echo {

namespace {

std::uint64_t next_id() {
  static std::atomic<std::uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace

ReadCounter::ReadCounter() : id_(next_id()) {}

ReadCounter::Slot& ReadCounter::slot_for_this_thread() {
  // One cached slot per thread, so each new connection on a thread finds
  // its slot without the lock. The id, not the address, identifies the
  // counter: a later ReadCounter may reuse a destroyed one's address.
  thread_local std::uint64_t cached_id = 0;
  thread_local Slot* cached_slot = nullptr;
  if (cached_id != id_) {
    const std::lock_guard lock(mutex_);
    slots_.push_back(std::make_unique<Slot>());
    cached_slot = slots_.back().get();
    cached_id = id_;
  }
  return *cached_slot;
}

std::uint64_t ReadCounter::total() const {
  const std::lock_guard lock(mutex_);
  std::uint64_t sum = 0;
  for (const auto& slot : slots_) {
    sum += slot->value();
  }
  return sum;
}

}  // namespace eddy_echo
