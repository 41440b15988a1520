#pragma once

// The block traffic of every message - a block from the pool for a read,
// back to it when a write has drained it - and the one-block reads and
// writes, defined inline for Buffer's sources (buffer.cpp, buffer_io.cpp,
// buffer_search.cpp) and TcpConnection's. Out of line in one file and
// called from another, each of these cost a call, a frame and a reload of
// what the caller already had in registers: about 40 instructions of an
// echoed message for the block helpers alone (callgrind).
#include <eddy/block_pool.hpp>
#include <eddy/buffer.hpp>

#include "block.hpp"
#include "sys/raw_io.hpp"

#include <algorithm>
#include <cerrno>

namespace eddy {

inline detail::Block* BlockPool::acquire() {
  detail::Block* block = free_;
  if (block == nullptr) {
    return allocate();
  }
  free_ = block->next;
  --cached_;
  block->next = nullptr;
  block->begin = 0;
  block->end = 0;
  return block;
}

inline void BlockPool::release(detail::Block* block) noexcept {
  if (block->capacity != kBlockSize || cached_ >= max_cached_blocks_) {
    release_slow(block);
    return;
  }
  block->next = free_;
  free_ = block;
  ++cached_;
}

// With a pool every block is a pooled one, even for big appends (they take
// several): an exact-sized block would cost a malloc on every large message,
// pooled ones cost nothing once the pool is warm. Without a pool, one block
// of the whole size is one malloc instead of several.
inline detail::Block* Buffer::new_block(std::size_t wanted) {
  if (pool_ != nullptr) {
    return pool_->acquire();
  }
  return detail::Block::create(std::max(wanted, BlockPool::kBlockSize));
}

inline void Buffer::free_block(detail::Block* block) noexcept {
  if (pool_ != nullptr) {
    pool_->release(block);
  } else {
    detail::Block::destroy(block);
  }
}

inline void Buffer::push_back(detail::Block* block) noexcept {
  block->next = nullptr;
  if (tail_ != nullptr) {
    tail_->next = block;
  } else {
    head_ = block;
  }
  tail_ = block;
  ++blocks_;
}

inline detail::Block* Buffer::unlink_front() noexcept {
  detail::Block* block = head_;
  head_ = block->next;
  if (head_ == nullptr) {
    tail_ = nullptr;
  }
  --blocks_;
  return block;
}

inline void Buffer::pop_front() noexcept { free_block(unlink_front()); }

inline void Buffer::adapt_read_size(std::size_t offered, std::size_t got) noexcept {
  constexpr std::size_t kMaxReadBlocks = kDefaultReadSize / BlockPool::kBlockSize;
  if (got == offered) {
    if (read_blocks_ > 1) {
      grow_after_ = 1;  // the bigger offer was needed: grow at once next time
    }
    if (read_blocks_ < kMaxReadBlocks && ++full_reads_ >= grow_after_) {
      read_blocks_ = static_cast<std::uint8_t>(std::min<std::size_t>(kMaxReadBlocks, 2U * read_blocks_));
      full_reads_ = 0;
    }
  } else if (offered - got >= BlockPool::kBlockSize && read_blocks_ > 1) {
    // A bigger offer that went unused: a stream of messages of exactly
    // one block (16 KiB echoes) fills every one-block read, and growing on
    // each would make every other read a two-block readv that gets one
    // block. Each such shrink doubles the full reads the next growth waits
    // for, so that stream settles on one block.
    --read_blocks_;
    full_reads_ = 0;
    grow_after_ = static_cast<std::uint8_t>(std::min<unsigned>(kMaxGrowAfter, 2U * grow_after_));
  }
}

inline long Buffer::read_some(int fd, std::size_t max_bytes) {
  if (max_bytes == 0) {
    return -EAGAIN;
  }
  const std::size_t tail_free = tail_ != nullptr ? tail_->free_after() : 0;
  if (tail_free != 0 || (read_blocks_ != 1 && max_bytes > BlockPool::kBlockSize)) {
    return read_vectored(fd, max_bytes, tail_free);
  }
  // One fresh block is all this read offers (every read of a stream of
  // small messages): a plain read(2) into it, no iovec.
  detail::Block* block = new_block(BlockPool::kBlockSize);
  const std::size_t offered = std::min(block->capacity, max_bytes);
  const long n = sys::read_raw(fd, block->data(), offered);
  if (n <= 0) {
    free_block(block);
    return n;
  }
  const auto got = static_cast<std::size_t>(n);
  block->end = got;
  // push_back() without its store of next: a new block has none.
  if (tail_ != nullptr) {
    tail_->next = block;
  } else {
    head_ = block;
  }
  tail_ = block;
  ++blocks_;
  size_ += got;
  // adapt_read_size() for an offer of at most one block: such a read
  // cannot leave a whole block empty, so it only grows.
  if (got == offered) {
    adapt_read_size(offered, got);
  }
  return n;
}

inline long Buffer::write_some(int fd, std::size_t max_bytes) noexcept {
  if (head_ != tail_ || head_ == nullptr || max_bytes == 0) {
    return write_vectored(fd, max_bytes);
  }
  // One block (every write of a stream of small messages): send(2), no
  // iovec or msghdr; when the kernel takes it all, the block goes back
  // without a walk through drain().
  detail::Block* block = head_;
  const std::size_t offered = std::min(block->readable(), max_bytes);
  if (offered == 0) {
    return -EAGAIN;  // an empty block left by reserve()
  }
  const long n = sys::send_raw(fd, block->readable_begin(), offered);
  if (n > 0) {
    const auto sent = static_cast<std::size_t>(n);
    if (sent == size_) {
      free_block(unlink_front());
      size_ = 0;
    } else {
      block->begin += sent;
      size_ -= sent;
    }
  }
  return n;
}

}  // namespace eddy
