#include <eddy/block_pool.hpp>

#include "block.hpp"

#include <utility>

namespace eddy {

BlockPool::BlockPool(std::size_t max_cached_bytes) noexcept : max_cached_bytes_(max_cached_bytes) {}

BlockPool::~BlockPool() {
  while (free_ != nullptr) {
    detail::Block::destroy(std::exchange(free_, free_->next));
  }
}

detail::Block* BlockPool::acquire() {
  detail::Block* block = free_;
  if (block != nullptr) {
    free_ = block->next;
    --cached_;
    block->next = nullptr;
    block->begin = 0;
    block->end = 0;
  } else {
    block = detail::Block::create(kBlockSize);
  }
  ++on_loan_;
  return block;
}

void BlockPool::release(detail::Block* block) noexcept {
  if (block->capacity != kBlockSize) {
    // Exact-sized blocks for big appends: caching them would keep memory
    // that no acquire() can hand out again.
    detail::Block::destroy(block);
    return;
  }
  --on_loan_;
  if ((cached_ + 1) * kBlockSize > max_cached_bytes_) {
    detail::Block::destroy(block);
    return;
  }
  block->next = free_;
  free_ = block;
  ++cached_;
}

}  // namespace eddy
