#include <eddy/block_pool.hpp>

#include "block.hpp"

#include <utility>

// acquire() and release() are inline in buffer_blocks.hpp; their rare
// halves are here.
namespace eddy {

BlockPool::BlockPool(std::size_t max_cached_bytes) noexcept
    : max_cached_bytes_(max_cached_bytes), max_cached_blocks_(max_cached_bytes / kBlockSize) {}

BlockPool::~BlockPool() {
  while (free_ != nullptr) {
    detail::Block::destroy(std::exchange(free_, free_->next));
  }
}

detail::Block* BlockPool::allocate() {
  detail::Block* block = detail::Block::create(kBlockSize);
  ++owned_;
  return block;
}

void BlockPool::release_slow(detail::Block* block) noexcept {
  if (block->capacity != kBlockSize) {
    // Exact-sized blocks for big appends: caching them would keep memory
    // that no acquire() can hand out again.
    detail::Block::destroy(block);
    return;
  }
  // The cache is full: memory goes back to the allocator after a burst.
  --owned_;
  detail::Block::destroy(block);
}

}  // namespace eddy
