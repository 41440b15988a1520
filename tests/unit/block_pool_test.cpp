// BlockPool: reuse, the cache limit, and what it never caches.
#include "buffer_fixtures.hpp"

#include <eddy/block_pool.hpp>
#include <eddy/buffer.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace {

using eddy::BlockPool;
using eddy::Buffer;
using eddy::test::chain;
using eddy::test::contents;
using eddy::test::kBlock;
using eddy::test::pattern;
using namespace std::string_view_literals;

TEST(BlockPool, ReusesABlockGivenBack) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append("hello"sv);
  EXPECT_EQ(pool.allocated_blocks(), 1);
  EXPECT_EQ(pool.cached_blocks(), 0U);
  const char* first = buffer.front().data();
  buffer.drain(5);
  EXPECT_EQ(pool.allocated_blocks(), 0);
  EXPECT_EQ(pool.cached_blocks(), 1U);
  buffer.append("again"sv);
  EXPECT_EQ(buffer.front().data(), first);
  EXPECT_EQ(pool.cached_blocks(), 0U);
}

TEST(BlockPool, FreesBlocksBeyondItsCacheLimit) {
  BlockPool pool(2 * kBlock);
  {
    Buffer buffer(pool);
    buffer.append(pattern(5 * kBlock));
    EXPECT_EQ(buffer.block_count(), 5U);
    EXPECT_EQ(pool.allocated_blocks(), 5);
  }
  EXPECT_EQ(pool.allocated_blocks(), 0);
  EXPECT_EQ(pool.cached_blocks(), 2U);
  EXPECT_EQ(pool.max_cached_bytes(), 2 * kBlock);
}

TEST(BlockPool, ZeroLimitCachesNothing) {
  BlockPool pool(0);
  Buffer buffer(pool);
  buffer.append("x"sv);
  buffer.clear();
  EXPECT_EQ(pool.cached_blocks(), 0U);
  EXPECT_EQ(pool.allocated_blocks(), 0);
}

TEST(BlockPool, NeverCachesExactSizedBlocks) {
  BlockPool pool;
  Buffer buffer(pool);
  std::span<char> space = buffer.reserve(3 * kBlock);
  ASSERT_GE(space.size(), 3 * kBlock);
  buffer.commit(3 * kBlock);
  EXPECT_EQ(buffer.block_count(), 1U);
  EXPECT_EQ(pool.allocated_blocks(), 0);
  buffer.clear();
  EXPECT_EQ(pool.cached_blocks(), 0U);
}

}  // namespace
