// Buffer: append(Buffer&&) across pools, packing, and move construction
// and assignment.
#include "buffer_fixtures.hpp"

#include <eddy/block_pool.hpp>
#include <eddy/buffer.hpp>

#include <gtest/gtest.h>

#include <sys/uio.h>

#include <string>
#include <string_view>
#include <utility>

namespace {

using eddy::BlockPool;
using eddy::Buffer;
using eddy::test::chain;
using eddy::test::contents;
using eddy::test::kBlock;
using eddy::test::pattern;
using namespace std::string_view_literals;

TEST(Buffer, MoveAppendRelinksBlocksWithoutCopying) {
  BlockPool pool;
  Buffer source(pool);
  Buffer target(pool);
  source.append(pattern(2 * kBlock));
  const char* first = source.front().data();
  target.append(std::move(source));
  EXPECT_EQ(target.front().data(), first);
  EXPECT_EQ(target.block_count(), 2U);
  EXPECT_EQ(contents(target), pattern(2 * kBlock));
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): append leaves it empty
  EXPECT_EQ(source.block_count(), 0U);
}

TEST(Buffer, MoveAppendAfterExistingDataKeepsOrder) {
  BlockPool pool;
  Buffer target(pool);
  target.append(pattern(kBlock));  // full tail: nothing can be packed
  Buffer source(pool);
  source.append("xyz"sv);
  const char* moved = source.front().data();
  target.append(std::move(source));
  EXPECT_EQ(target.block_count(), 2U);
  iovec iov[2];
  ASSERT_EQ(target.peek(iov), 2U);
  EXPECT_EQ(iov[1].iov_base, moved);
  EXPECT_EQ(contents(target), pattern(kBlock) + "xyz");
}

TEST(Buffer, MoveAppendCopiesSmallBlocksIntoTheTailsRoom) {
  BlockPool pool;
  Buffer target(pool);
  target.append("abc"sv);
  Buffer source(pool);
  source.append("def"sv);
  target.append(std::move(source));
  EXPECT_EQ(target.block_count(), 1U);
  EXPECT_EQ(target.front(), "abcdef");
  EXPECT_EQ(pool.cached_blocks(), 1U);
}

TEST(Buffer, MoveAppendRelinksBlocksBiggerThanThePackingLimit) {
  BlockPool pool;
  Buffer target(pool);
  target.append("abc"sv);
  Buffer source(pool);
  const std::string data = pattern(5000);
  source.append(data);
  target.append(std::move(source));
  EXPECT_EQ(target.block_count(), 2U);
  EXPECT_EQ(contents(target), "abc" + data);
}

TEST(Buffer, MoveAppendCopiesAtMostFourKibibytesInAll) {
  BlockPool pool;
  Buffer target(pool);
  target.append("abc"sv);
  const std::string first = pattern(3000, 1);
  const std::string second = pattern(3000, 2);
  Buffer source = chain(pool, {first, second});
  iovec iov[2];
  ASSERT_EQ(source.peek(iov), 2U);
  target.append(std::move(source));
  // The first 3000 bytes are copied; the next 3000 would exceed 4 KiB, so
  // their block is relinked.
  EXPECT_EQ(target.block_count(), 2U);
  EXPECT_EQ(target.front(), "abc" + first);
  iovec after[2];
  ASSERT_EQ(target.peek(after), 2U);
  EXPECT_EQ(after[1].iov_base, iov[1].iov_base);
  EXPECT_EQ(contents(target), "abc" + first + second);
}

TEST(Buffer, MoveAppendBetweenPoolsGivesBlocksBackToTheFreeingBuffersPool) {
  BlockPool first_pool;
  BlockPool second_pool;
  {
    Buffer target(second_pool);
    {
      Buffer source(first_pool);
      source.append(pattern(3 * kBlock));
      target.append(std::move(source));
    }
    EXPECT_EQ(first_pool.cached_blocks(), 0U);
    EXPECT_EQ(target.size(), 3 * kBlock);
    target.drain(kBlock);
    EXPECT_EQ(second_pool.cached_blocks(), 1U);
  }
  EXPECT_EQ(second_pool.cached_blocks(), 3U);
  EXPECT_EQ(first_pool.allocated_blocks() + second_pool.allocated_blocks(), 0);
}

TEST(Buffer, MoveAppendGivesBlocksItFreesToTheReceivingPool) {
  BlockPool sending_pool;
  BlockPool receiving_pool;
  Buffer target(receiving_pool);
  target.append("abc"sv);
  Buffer packed(sending_pool);
  packed.append("def"sv);
  target.append(std::move(packed));  // copied into target's tail
  Buffer reservation(sending_pool);
  (void)reservation.reserve(10);
  target.append(std::move(reservation));     // only an empty reserved block
  EXPECT_EQ(reservation.block_count(), 0U);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(contents(target), "abcdef");
  EXPECT_EQ(target.block_count(), 1U);
  EXPECT_EQ(sending_pool.cached_blocks(), 0U);
  EXPECT_EQ(receiving_pool.cached_blocks(), 2U);
}

TEST(Buffer, MoveAppendBetweenPooledAndPlainBuffers) {
  BlockPool pool;
  Buffer plain;
  plain.append(pattern(3 * kBlock));  // one exact-sized block
  Buffer pooled(pool);
  pooled.append(std::move(plain));
  pooled.append("x"sv);
  EXPECT_EQ(contents(pooled), pattern(3 * kBlock) + "x");
  pooled.clear();
  EXPECT_EQ(pool.cached_blocks(), 1U);  // only the pooled-size block is kept

  pooled.append(pattern(kBlock));
  plain.append(std::move(pooled));
  EXPECT_EQ(contents(plain), pattern(kBlock));
  plain.clear();  // freed, not cached: plain has no pool
  EXPECT_EQ(pool.cached_blocks(), 0U);
}

TEST(Buffer, MoveAppendOfEmptyOrSelfChangesNothing) {
  Buffer buffer;
  buffer.append("abc"sv);
  buffer.append(Buffer());
  Buffer& alias = buffer;
  buffer.append(std::move(alias));
  EXPECT_EQ(contents(buffer), "abc");
  EXPECT_EQ(buffer.block_count(), 1U);
}

TEST(Buffer, MoveConstructionTakesBlocksAndPool) {
  BlockPool pool;
  Buffer source(pool);
  source.append("abc"sv);
  Buffer moved(std::move(source));
  EXPECT_EQ(moved.pool(), &pool);
  EXPECT_EQ(contents(moved), "abc");
  EXPECT_EQ(source.block_count(), 0U);  // NOLINT(bugprone-use-after-move)
  source.append("again"sv);             // still usable, on the same pool
  EXPECT_EQ(pool.allocated_blocks(), 2);
}

TEST(Buffer, MoveAssignmentGivesTheOldBlocksBack) {
  BlockPool first_pool;
  BlockPool second_pool;
  Buffer target(first_pool);
  target.append("old"sv);
  Buffer source(second_pool);
  source.append("new"sv);
  target = std::move(source);
  EXPECT_EQ(first_pool.cached_blocks(), 1U);
  EXPECT_EQ(target.pool(), &second_pool);
  EXPECT_EQ(contents(target), "new");
}

}  // namespace
