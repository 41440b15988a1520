#pragma once

#include <cstdint>
#include <system_error>
#include <vector>

#include <eddy/io_handle.hpp>

namespace eddy::detail {

// Maps the tokens registered with the backend to active IoHandles
// (IoWatchers, connections).
//
//   token = generation << 32 | slot
//
//   handles_:     [ w0 ][ -- ][ w2 ] ...     free_: [ 1 ]
//   generations_: [ g7 ][ g3 ][ g1 ] ...
//
// Two arrays rather than one of {pointer, generation} pairs: 12 bytes a
// slot instead of 16 with padding, which counts with 10^5 idle connections.
//
// Releasing a slot bumps its generation, so an event the backend reported
// before the watcher stopped (or before its fd was closed and reused by
// another watcher in the same slot) carries a stale token and resolves to
// nullptr. Slots are recycled through a free list: no allocation once the
// table has grown to the peak number of active watchers.
//
// The table also records which slot owns each fd, so that a second watcher
// on an fd fails with EEXIST on every backend (epoll would accept it when the
// first watcher's fd was closed without stopping it, and the first watcher's
// stop() would then unregister the second).
class IoTable {
 public:
  // Takes a slot for `handle` on `fd` and stores it in `slot`; its token is
  // token(slot). Fails with EEXIST when another handle holds `fd`.
  std::error_code acquire(IoHandle* handle, int fd, std::uint32_t& slot) noexcept;
  void release(std::uint32_t slot, int fd) noexcept;

  std::uint64_t token(std::uint32_t slot) const noexcept {
    return static_cast<std::uint64_t>(generations_[slot]) << 32 | slot;
  }

  // Calls f(handle, token) for every handle holding a slot.
  template <typename F>
  void for_each(F&& f) const {
    for (std::uint32_t slot = 0; slot < handles_.size(); ++slot) {
      if (handles_[slot] != nullptr) {
        f(*handles_[slot], token(slot));
      }
    }
  }

  // The handle a token was issued for, or nullptr if it has been released.
  IoHandle* find(std::uint64_t token) const noexcept {
    const auto slot = static_cast<std::uint32_t>(token);
    const auto generation = static_cast<std::uint32_t>(token >> 32);
    if (slot >= handles_.size() || generations_[slot] != generation) {
      return nullptr;
    }
    return handles_[slot];
  }

 private:
  static constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};

  std::vector<IoHandle*> handles_;
  std::vector<std::uint32_t> generations_;
  std::vector<std::uint32_t> free_;
  std::vector<std::uint32_t> slot_by_fd_;  // kNoSlot where no watcher holds the fd
};

}  // namespace eddy::detail
