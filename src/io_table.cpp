#include "io_table.hpp"

namespace eddy::detail {

std::uint32_t IoTable::acquire(IoWatcher* watcher) {
  if (free_.empty()) {
    // Reserve first so that release() never needs to allocate.
    free_.reserve(slots_.size() + 1);
    slots_.push_back({watcher, 0});
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }
  const std::uint32_t slot = free_.back();
  free_.pop_back();
  slots_[slot].watcher = watcher;
  return slot;
}

void IoTable::release(std::uint32_t slot) noexcept {
  slots_[slot].watcher = nullptr;
  ++slots_[slot].generation;
  free_.push_back(slot);  // capacity reserved in acquire()
}

}  // namespace eddy::detail
