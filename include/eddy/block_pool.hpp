#pragma once

#include <cstddef>

namespace eddy {

class Buffer;

namespace detail {
struct Block;
class LoopCore;
class UringPoller;
}

// A free list of Buffer blocks, so that buffers in steady state take and
// give back memory without calling operator new or delete.
//
//   free_ -> [blk] -> [blk] -> [blk] -> nullptr      cached_blocks() == 3
//            each one allocation: [ header | 16 KiB payload ]
//
// Every block handed out has kBlockSize bytes of payload. A Buffer that
// needs a bigger block (one large append) allocates it exactly, outside the
// pool; such a block is freed, never cached, when it comes back. At most
// max_cached_bytes of payload is kept: blocks given back beyond that are
// freed at once, so memory returns to the allocator after a burst.
//
// A block goes back to the pool of the Buffer that frees it, which need not
// be the pool it came from: Buffer::append(Buffer&&) moves blocks between
// buffers whatever their pools.
//
// Belongs to one thread (one pool per Loop): no locking. Must outlive every
// Buffer built on it. Not copyable or movable: buffers refer to it by
// address. The destructor frees the cached blocks.
class BlockPool {
 public:
  // Payload bytes of a pooled block. 16 KiB: one TLS record, and four of
  // them make the 64 KiB that Buffer::read_from offers the kernel per call.
  static constexpr std::size_t kBlockSize = 16 * 1024;

  explicit BlockPool(std::size_t max_cached_bytes = 4 * 1024 * 1024) noexcept;
  ~BlockPool();

  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;
  BlockPool(BlockPool&&) = delete;
  BlockPool& operator=(BlockPool&&) = delete;

  // Blocks on the free list.
  std::size_t cached_blocks() const noexcept { return cached_; }
  // Blocks handed out by this pool and not yet given back to it. Blocks
  // that move to a buffer on another pool (or on none) are given back there,
  // so with several pools each count may drift, even below zero; their sum
  // over the pools that exchange blocks stays exact. For tests and stats.
  // Counted as the pooled blocks this pool created and has not freed, less
  // those on its free list, so that acquire() and release() - once per
  // message each - count nothing.
  std::ptrdiff_t allocated_blocks() const noexcept { return owned_ - static_cast<std::ptrdiff_t>(cached_); }
  std::size_t max_cached_bytes() const noexcept { return max_cached_bytes_; }

 private:
  friend class Buffer;
  friend class detail::LoopCore;     // takes back the blocks of completions nobody waits for
  friend class detail::UringPoller;  // fills the kernel's ring of receive blocks

  // A block with kBlockSize bytes of payload and no data: from the free list
  // if it has one, else newly allocated. Throws std::bad_alloc.
  // acquire() and release() run once per message; they are defined inline in
  // the library's src/buffer_blocks.hpp, which every caller (Buffer's own
  // sources) includes.
  inline detail::Block* acquire();
  // Takes back a block of any size; caches it when it has kBlockSize bytes
  // of payload and the cache has room, frees it otherwise.
  inline void release(detail::Block* block) noexcept;
  // The rare halves, out of line: a new block when the free list is empty,
  // and a block that is freed rather than cached.
  detail::Block* allocate();
  void release_slow(detail::Block* block) noexcept;

  detail::Block* free_ = nullptr;
  std::size_t cached_ = 0;
  std::ptrdiff_t owned_ = 0;  // blocks of kBlockSize this pool allocated, less those it freed
  std::size_t max_cached_bytes_;
  std::size_t max_cached_blocks_;  // max_cached_bytes_ / kBlockSize: release() tests this, not a product
};

}  // namespace eddy
