#pragma once

#include <cstdint>
#include <system_error>
#include <vector>

namespace eddy {
class IoWatcher;
}

namespace eddy::detail {

// Maps the tokens registered with the backend to active IoWatchers.
//
//   token = generation << 32 | slot
//
//   slots_:  [ w0 g7 ][ -- g3 ][ w2 g1 ] ...     free_: [ 1 ]
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
  // Takes a slot for `watcher` on `fd` and stores it in `slot`; its token is
  // token(slot). Fails with EEXIST when another watcher holds `fd`.
  std::error_code acquire(IoWatcher* watcher, int fd, std::uint32_t& slot) noexcept;
  void release(std::uint32_t slot, int fd) noexcept;

  std::uint64_t token(std::uint32_t slot) const noexcept {
    return static_cast<std::uint64_t>(slots_[slot].generation) << 32 | slot;
  }

  // Calls f(watcher, token) for every watcher holding a slot.
  template <typename F>
  void for_each(F&& f) const {
    for (std::uint32_t slot = 0; slot < slots_.size(); ++slot) {
      if (slots_[slot].watcher != nullptr) {
        f(*slots_[slot].watcher, token(slot));
      }
    }
  }

  // The watcher a token was issued for, or nullptr if it has been released.
  IoWatcher* find(std::uint64_t token) const noexcept {
    const auto slot = static_cast<std::uint32_t>(token);
    const auto generation = static_cast<std::uint32_t>(token >> 32);
    if (slot >= slots_.size() || slots_[slot].generation != generation) {
      return nullptr;
    }
    return slots_[slot].watcher;
  }

 private:
  struct Slot {
    IoWatcher* watcher;
    std::uint32_t generation;
  };
  static constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::vector<std::uint32_t> slot_by_fd_;  // kNoSlot where no watcher holds the fd
};

}  // namespace eddy::detail
