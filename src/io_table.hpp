#pragma once

#include <cassert>
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
//   handles_: [ w0 (g7) ][ -- ][ w2 (g9) ] ...     free_: [ 1 ]
//
// Every acquire() stamps its handle with a new generation (a counter of the
// table's), kept in the handle itself, so a slot costs 8 bytes, which
// counts with 10^5 idle connections. An event the backend reported before
// a handle stopped (or before its fd was closed and reused by another
// handle in the same slot) carries a stale token: its slot is empty, or
// holds a handle with another generation, and it resolves to nullptr. A
// non-empty slot always holds a live handle, so reading its generation is
// safe. The counter would have to wrap (2^32 registrations) between a wait
// and its dispatch for a stale token to match. Slots are recycled through a
// free list: no allocation once the table has grown to the peak number of
// active handles.
//
// The table also records which slot owns each fd, so that a second watcher
// on an fd fails with EEXIST on every backend (epoll would accept it when the
// first watcher's fd was closed without stopping it, and the first watcher's
// stop() would then unregister the second).
class IoTable {
 public:
  // Takes a slot for `handle` on `fd` and stores it in `slot`; its token is
  // token(slot). Fails with EEXIST when another handle holds `fd`. With
  // claim_fd false the slot is taken without holding `fd` (a handle for
  // completions beside a readiness watcher of the same fd); release() must
  // then be told so too.
  std::error_code acquire(IoHandle* handle, int fd, std::uint32_t& slot, bool claim_fd = true) noexcept;
  void release(std::uint32_t slot, int fd, bool claimed_fd = true) noexcept;

  std::uint64_t token(std::uint32_t slot) const noexcept {
    return static_cast<std::uint64_t>(handles_[slot]->generation_) << 32 | slot;
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
  // `token` must come from token(): handles_ never shrinks, so its slot is
  // in range, and the lookup needs no bounds check (one per event).
  IoHandle* find(std::uint64_t token) const noexcept {
    const auto slot = static_cast<std::uint32_t>(token);
    const auto generation = static_cast<std::uint32_t>(token >> 32);
    assert(slot < handles_.size());
    IoHandle* handle = handles_[slot];
    return handle != nullptr && handle->generation_ == generation ? handle : nullptr;
  }

 private:
  static constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};

  std::vector<IoHandle*> handles_;
  std::uint32_t next_generation_ = 0;
  std::vector<std::uint32_t> free_;
  std::vector<std::uint32_t> slot_by_fd_;  // kNoSlot where no watcher holds the fd
};

}  // namespace eddy::detail
