#pragma once

// Helpers shared by the Buffer unit tests: shaping a buffer's blocks and
// reading its whole content.
#include <eddy/block_pool.hpp>
#include <eddy/buffer.hpp>

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace eddy::test {

inline constexpr std::size_t kBlock = BlockPool::kBlockSize;

// All of a buffer's bytes, through copy_out().
inline std::string contents(const Buffer& buffer) {
  std::string out(buffer.size(), '\0');
  buffer.copy_out(out.data(), out.size());
  return out;
}

// A buffer whose blocks hold exactly `parts`, one part per block (each at
// most kBlock bytes, none empty): reserve(kBlock) always starts a new block
// once the tail holds a byte.
inline Buffer chain(BlockPool& pool, std::initializer_list<std::string_view> parts) {
  Buffer buffer(pool);
  for (std::string_view part : parts) {
    std::span<char> space = buffer.reserve(kBlock);
    std::memcpy(space.data(), part.data(), part.size());
    buffer.commit(part.size());
  }
  return buffer;
}

// n bytes of every value, in an order that repeats only after 251 * 256
// bytes, so that a misplaced block shows.
inline std::string pattern(std::size_t n, std::size_t seed = 0) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<char>((i * 131 + seed * 7 + i / 251) % 256);
  }
  return out;
}

}  // namespace eddy::test
