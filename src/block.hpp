#pragma once

#include <cstddef>
#include <new>

namespace eddy::detail {

// One link of a Buffer's chain: a header followed, in the same allocation,
// by `capacity` bytes of payload.
//
//   [ Block header | free before | readable     | free after       ]
//                  0             begin          end                capacity
//
// Bytes in [begin, end) are the buffer's data. Space before `begin` is left
// by drains and used by prepends; space after `end` takes appends and reads.
// The payload size is stored per block because blocks of different sizes
// (pooled, exact-sized for a big append) mix in one chain and travel
// between buffers.
struct Block {
  Block* next;
  std::size_t capacity;
  std::size_t begin;
  std::size_t end;

  char* data() noexcept { return reinterpret_cast<char*>(this + 1); }
  const char* data() const noexcept { return reinterpret_cast<const char*>(this + 1); }
  char* readable_begin() noexcept { return data() + begin; }
  const char* readable_begin() const noexcept { return data() + begin; }
  std::size_t readable() const noexcept { return end - begin; }
  bool empty() const noexcept { return begin == end; }
  std::size_t free_after() const noexcept { return capacity - end; }

  // One operator new for header and payload. Throws std::bad_alloc.
  static Block* create(std::size_t capacity) {
    void* memory = ::operator new(sizeof(Block) + capacity);
    return ::new (memory) Block{nullptr, capacity, 0, 0};
  }
  static void destroy(Block* block) noexcept { ::operator delete(block, sizeof(Block) + block->capacity); }
};

static_assert(sizeof(Block) % alignof(std::max_align_t) == 0, "the payload starts max-aligned after the header");

}  // namespace eddy::detail
