// Buffer's chain: blocks in and out, appends, prepends, drains. Searching
// and contiguity are in buffer_search.cpp, kernel I/O in buffer_io.cpp.
#include <eddy/buffer.hpp>

#include "block.hpp"
#include "buffer_blocks.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

namespace eddy {

using detail::Block;

namespace {
constexpr std::size_t kBlockSize = BlockPool::kBlockSize;
// append(Buffer&&) copies leading blocks holding at most this many bytes in
// all into the tail's free space instead of relinking them (see the header).
constexpr std::size_t kMaxPackCopy = 4 * 1024;
}  // namespace

Buffer::Buffer(Buffer&& other) noexcept
    : head_(std::exchange(other.head_, nullptr)),
      tail_(std::exchange(other.tail_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      blocks_(std::exchange(other.blocks_, 0)),
      pool_(other.pool_) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    clear();
    head_ = std::exchange(other.head_, nullptr);
    tail_ = std::exchange(other.tail_, nullptr);
    size_ = std::exchange(other.size_, 0);
    blocks_ = std::exchange(other.blocks_, 0);
    pool_ = other.pool_;
  }
  return *this;
}

Block* Buffer::new_block_at_least(std::size_t n) { return n <= kBlockSize ? new_block(n) : Block::create(n); }

void Buffer::push_front(Block* block) noexcept {
  block->next = head_;
  head_ = block;
  if (tail_ == nullptr) {
    tail_ = block;
  }
  ++blocks_;
}

// Only an abandoned reserve() leaves an empty tail, so the walk to its
// predecessor is off every hot path.
Block* Buffer::unlink_empty_tail() noexcept {
  if (tail_ == nullptr || !tail_->empty()) {
    return nullptr;
  }
  if (head_ == tail_) {
    return unlink_front();
  }
  Block* previous = head_;
  while (previous->next != tail_) {
    previous = previous->next;
  }
  previous->next = nullptr;
  --blocks_;
  return std::exchange(tail_, previous);
}

void Buffer::drop_empty_tail() noexcept {
  if (Block* block = unlink_empty_tail()) {
    free_block(block);
  }
}

void Buffer::append(const void* data, std::size_t n) {
  if (n == 0) {
    return;
  }
  const char* from = static_cast<const char*>(data);
  if (tail_ != nullptr) {
    const std::size_t k = std::min(n, tail_->free_after());
    std::memcpy(tail_->data() + tail_->end, from, k);
    tail_->end += k;
    size_ += k;
    from += k;
    n -= k;
  }
  while (n > 0) {
    Block* block = new_block(n);
    const std::size_t k = std::min(n, block->capacity);
    std::memcpy(block->data(), from, k);
    block->end = k;
    push_back(block);
    size_ += k;
    from += k;
    n -= k;
  }
}

void Buffer::append(Buffer&& other) noexcept {
  if (&other == this) {
    return;
  }
  // Blocks that other gives up go to this buffer's pool, never to other's:
  // append(Buffer&&) touches one pool only, so a Buffer handed to another
  // thread can be appended there to a buffer of that thread's loop.
  if (Block* reserved = other.unlink_empty_tail()) {
    free_block(reserved);
  }
  if (other.head_ == nullptr) {
    return;
  }
  drop_empty_tail();
  for (std::size_t budget = kMaxPackCopy; tail_ != nullptr && other.head_ != nullptr;) {
    Block* first = other.head_;
    const std::size_t k = first->readable();
    if (k > budget || k > tail_->free_after()) {
      break;
    }
    budget -= k;
    std::memcpy(tail_->data() + tail_->end, first->readable_begin(), k);
    tail_->end += k;
    size_ += k;
    other.size_ -= k;
    free_block(other.unlink_front());
  }
  if (other.head_ == nullptr) {
    return;
  }
  if (tail_ != nullptr) {
    tail_->next = other.head_;
  } else {
    head_ = other.head_;
  }
  tail_ = std::exchange(other.tail_, nullptr);
  other.head_ = nullptr;
  size_ += std::exchange(other.size_, 0);
  blocks_ += std::exchange(other.blocks_, 0);
}

void Buffer::prepend(const void* data, std::size_t n) {
  if (n == 0) {
    return;
  }
  if (size_ == 0) {
    append(data, n);
    return;
  }
  const char* from = static_cast<const char*>(data);
  const std::size_t into_head = std::min(n, head_->begin);
  const std::size_t rest = n - into_head;
  // The blocks for the first `rest` bytes are built apart, last bytes
  // first, so that a failed allocation leaves this buffer as it was.
  Buffer part;
  part.pool_ = pool_;
  for (std::size_t left = rest; left > 0;) {
    Block* block = part.new_block(left);
    const std::size_t k = std::min(left, block->capacity);
    // Data at the block's end: its free space stays in front, for the
    // next prepend.
    block->begin = block->capacity - k;
    block->end = block->capacity;
    std::memcpy(block->readable_begin(), from + left - k, k);
    part.push_front(block);
    part.size_ += k;
    left -= k;
  }
  head_->begin -= into_head;
  std::memcpy(head_->readable_begin(), from + rest, into_head);
  size_ += into_head;
  if (part.head_ != nullptr) {
    part.tail_->next = head_;
    head_ = std::exchange(part.head_, nullptr);
    part.tail_ = nullptr;
    size_ += std::exchange(part.size_, 0);
    blocks_ += std::exchange(part.blocks_, 0);
  }
}

std::span<char> Buffer::reserve(std::size_t n) {
  if (tail_ != nullptr && tail_->free_after() >= n) {
    return {tail_->data() + tail_->end, tail_->free_after()};
  }
  if (n == 0) {
    return {};
  }
  drop_empty_tail();
  Block* block = new_block_at_least(n);
  push_back(block);
  return {block->data(), block->capacity};
}

void Buffer::commit(std::size_t n) noexcept {
  if (tail_ == nullptr) {
    assert(n == 0 && "Buffer::commit without reserve");
    return;
  }
  assert(n <= tail_->free_after() && "Buffer::commit of more than reserve() returned");
  n = std::min(n, tail_->free_after());
  tail_->end += n;
  size_ += n;
  drop_empty_tail();
}

std::string_view Buffer::front() const noexcept {
  if (size_ == 0) {
    return {};
  }
  return {head_->readable_begin(), head_->readable()};
}

std::size_t Buffer::peek(std::span<iovec> out) const noexcept {
  std::size_t used = 0;
  for (Block* block = head_; block != nullptr && used < out.size(); block = block->next) {
    if (!block->empty()) {
      out[used++] = iovec{block->readable_begin(), block->readable()};
    }
  }
  return used;
}

std::size_t Buffer::copy_out(void* dest, std::size_t n) const noexcept {
  n = std::min(n, size_);
  char* to = static_cast<char*>(dest);
  std::size_t left = n;
  for (const Block* block = head_; left > 0; block = block->next) {
    const std::size_t k = std::min(left, block->readable());
    std::memcpy(to, block->readable_begin(), k);
    to += k;
    left -= k;
  }
  return n;
}

void Buffer::drain(std::size_t n) noexcept {
  if (n >= size_) {
    clear();
    return;
  }
  size_ -= n;
  while (n > 0) {
    const std::size_t readable = head_->readable();
    if (n < readable) {
      head_->begin += n;
      return;
    }
    n -= readable;
    pop_front();
  }
}

void Buffer::clear() noexcept {
  while (head_ != nullptr) {
    pop_front();
  }
  size_ = 0;
}

std::size_t Buffer::remove(void* dest, std::size_t n) noexcept {
  const std::size_t copied = copy_out(dest, n);
  drain(copied);
  return copied;
}

}  // namespace eddy
