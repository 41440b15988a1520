#include "io_table.hpp"

#include <algorithm>
#include <cerrno>
#include <new>

namespace eddy::detail {

namespace {
// Capacity for n elements, doubling: a plain reserve(size + 1) per new slot
// would copy the whole array every time.
template <typename T>
void reserve_geometric(std::vector<T>& v, std::size_t n) {
  if (v.capacity() < n) {
    v.reserve(std::max(n, 2 * v.capacity()));
  }
}
}  // namespace

std::error_code IoTable::acquire(IoHandle* handle, int fd, std::uint32_t& slot, bool claim_fd) noexcept {
  if (fd < 0) {
    return {EBADF, std::generic_category()};
  }
  const auto index = static_cast<std::size_t>(fd);
  try {
    if (index >= slot_by_fd_.size()) {
      slot_by_fd_.resize(index + 1, kNoSlot);
    }
    if (free_.empty()) {
      // free_ may hold every slot: reserved here so that release() never
      // needs to allocate (and before the push, so that a failure changes
      // nothing).
      reserve_geometric(free_, handles_.size() + 1);
      handles_.push_back(nullptr);
      free_.push_back(static_cast<std::uint32_t>(handles_.size() - 1));
    }
  } catch (const std::bad_alloc&) {
    return {ENOMEM, std::generic_category()};
  }
  if (claim_fd && slot_by_fd_[index] != kNoSlot) {
    return {EEXIST, std::generic_category()};
  }
  slot = free_.back();
  free_.pop_back();
  handles_[slot] = handle;
  handle->generation_ = ++next_generation_;
  if (claim_fd) {
    slot_by_fd_[index] = slot;
  }
  return {};
}

void IoTable::release(std::uint32_t slot, int fd, bool claimed_fd) noexcept {
  handles_[slot] = nullptr;
  free_.push_back(slot);  // capacity reserved in acquire()
  if (claimed_fd) {
    slot_by_fd_[static_cast<std::size_t>(fd)] = kNoSlot;
  }
}

}  // namespace eddy::detail
