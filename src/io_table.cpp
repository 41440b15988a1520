#include "io_table.hpp"

#include <cerrno>
#include <new>

namespace eddy::detail {

std::error_code IoTable::acquire(IoWatcher* watcher, int fd, std::uint32_t& slot) noexcept {
  if (fd < 0) {
    return {EBADF, std::generic_category()};
  }
  const auto index = static_cast<std::size_t>(fd);
  try {
    if (index >= slot_by_fd_.size()) {
      slot_by_fd_.resize(index + 1, kNoSlot);
    }
    if (free_.empty()) {
      // Reserve first so that release() never needs to allocate.
      free_.reserve(slots_.size() + 1);
      slots_.push_back({nullptr, 0});
      free_.push_back(static_cast<std::uint32_t>(slots_.size() - 1));
    }
  } catch (const std::bad_alloc&) {
    return {ENOMEM, std::generic_category()};
  }
  if (slot_by_fd_[index] != kNoSlot) {
    return {EEXIST, std::generic_category()};
  }
  slot = free_.back();
  free_.pop_back();
  slots_[slot].watcher = watcher;
  slot_by_fd_[index] = slot;
  return {};
}

void IoTable::release(std::uint32_t slot, int fd) noexcept {
  slots_[slot].watcher = nullptr;
  ++slots_[slot].generation;
  free_.push_back(slot);  // capacity reserved in acquire()
  slot_by_fd_[static_cast<std::size_t>(fd)] = kNoSlot;
}

}  // namespace eddy::detail
