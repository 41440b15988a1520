// Buffer, one operation at a time, at the edges: empty buffers, exact block
// boundaries, data split across blocks. Searching is in
// buffer_search_test.cpp, moves in buffer_move_test.cpp.
#include "buffer_fixtures.hpp"

#include <eddy/block_pool.hpp>
#include <eddy/buffer.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <span>
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

// --- size, append, drain -----------------------------------------------------

TEST(Buffer, NewBufferIsEmptyAndHoldsNoBlocks) {
  BlockPool pool;
  const Buffer pooled(pool);
  const Buffer plain;
  for (const Buffer* buffer : {&pooled, &plain}) {
    EXPECT_TRUE(buffer->empty());
    EXPECT_EQ(buffer->size(), 0U);
    EXPECT_EQ(buffer->block_count(), 0U);
    EXPECT_TRUE(buffer->front().empty());
  }
  EXPECT_EQ(pooled.pool(), &pool);
  EXPECT_EQ(plain.pool(), nullptr);
  EXPECT_EQ(pool.allocated_blocks(), 0);
}

TEST(Buffer, SmallAppendsFillTheTailBeforeAddingABlock) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append("hello, "sv);
  buffer.append("world"sv);
  EXPECT_EQ(buffer.block_count(), 1U);
  EXPECT_EQ(contents(buffer), "hello, world");
  EXPECT_EQ(buffer.front(), "hello, world");
}

TEST(Buffer, AppendOfNothingAddsNoBlock) {
  Buffer buffer;
  buffer.append(nullptr, 0);
  buffer.append(""sv);
  EXPECT_EQ(buffer.block_count(), 0U);
}

TEST(Buffer, AppendOfExactlyOneBlockFillsOneBlock) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append(pattern(kBlock));
  EXPECT_EQ(buffer.block_count(), 1U);
  buffer.append("!"sv);
  EXPECT_EQ(buffer.block_count(), 2U);
  EXPECT_EQ(buffer.front().size(), kBlock);
  EXPECT_EQ(contents(buffer), pattern(kBlock) + "!");
}

TEST(Buffer, AppendFillsTheTailThenSplitsIntoPooledBlocks) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append(pattern(kBlock - 10));
  const std::string big = pattern(2 * kBlock + 5, 1);
  buffer.append(big);
  EXPECT_EQ(buffer.block_count(), 3U);
  EXPECT_EQ(pool.allocated_blocks(), 3);
  EXPECT_EQ(buffer.front().size(), kBlock);
  EXPECT_EQ(contents(buffer), pattern(kBlock - 10) + big);
}

TEST(Buffer, AppendWithoutPoolPutsTheRestInOneBlock) {
  Buffer buffer;
  const std::string big = pattern(3 * kBlock + 5);
  buffer.append(big);
  EXPECT_EQ(buffer.block_count(), 1U);
  EXPECT_EQ(buffer.front(), big);
}

TEST(Buffer, KeepsZeroBytes) {
  Buffer buffer;
  const std::string data("a\0b\0\0c", 6);
  buffer.append(data);
  EXPECT_EQ(buffer.size(), 6U);
  EXPECT_EQ(contents(buffer), data);
  EXPECT_EQ(buffer.find("\0c"sv), 4U);
}

TEST(Buffer, DrainingEverythingGivesEveryBlockBack) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append(pattern(3 * kBlock));
  buffer.drain(3 * kBlock);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.block_count(), 0U);
  EXPECT_EQ(pool.cached_blocks(), 3U);
}

TEST(Buffer, DrainOfMoreThanSizeEmptiesTheBuffer) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append(pattern(kBlock + 1));
  buffer.drain(10 * kBlock);
  EXPECT_EQ(buffer.size(), 0U);
  EXPECT_EQ(buffer.block_count(), 0U);
  buffer.drain(1);
  EXPECT_EQ(buffer.size(), 0U);
}

TEST(Buffer, DrainToABlockBoundaryGivesThatBlockBack) {
  BlockPool pool;
  Buffer buffer(pool);
  const std::string data = pattern(2 * kBlock);
  buffer.append(data);
  buffer.drain(kBlock);
  EXPECT_EQ(buffer.block_count(), 1U);
  EXPECT_EQ(pool.cached_blocks(), 1U);
  EXPECT_EQ(contents(buffer), data.substr(kBlock));
}

TEST(Buffer, PartialDrainKeepsTheRestOfTheHead) {
  Buffer buffer;
  buffer.append("abcdef"sv);
  buffer.drain(0);
  EXPECT_EQ(contents(buffer), "abcdef");
  buffer.drain(2);
  EXPECT_EQ(buffer.front(), "cdef");
  EXPECT_EQ(buffer.block_count(), 1U);
}

// --- copy_out, remove, front, peek --------------------------------------------

TEST(Buffer, CopyOutCrossesBlocksAndDrainsNothing) {
  BlockPool pool;
  Buffer buffer = chain(pool, {"abc", "de", "fgh"});
  char out[8] = {};
  EXPECT_EQ(buffer.copy_out(out, 6), 6U);
  EXPECT_EQ(std::string_view(out, 6), "abcdef");
  EXPECT_EQ(buffer.size(), 8U);
  EXPECT_EQ(buffer.copy_out(out, 100), 8U);
  EXPECT_EQ(std::string_view(out, 8), "abcdefgh");
}

TEST(Buffer, CopyOutOfEmptyCopiesNothing) {
  const Buffer buffer;
  EXPECT_EQ(buffer.copy_out(nullptr, 10), 0U);
}

TEST(Buffer, RemoveCopiesAndDrains) {
  BlockPool pool;
  Buffer buffer = chain(pool, {"abc", "de", "fgh"});
  char out[8] = {};
  EXPECT_EQ(buffer.remove(out, 4), 4U);
  EXPECT_EQ(std::string_view(out, 4), "abcd");
  EXPECT_EQ(contents(buffer), "efgh");
  EXPECT_EQ(buffer.block_count(), 2U);
  EXPECT_EQ(buffer.remove(out, 100), 4U);
  EXPECT_EQ(std::string_view(out, 4), "efgh");
  EXPECT_EQ(buffer.block_count(), 0U);
}

TEST(Buffer, FrontIsTheHeadBlockOnly) {
  BlockPool pool;
  const Buffer buffer = chain(pool, {"abc", "de"});
  EXPECT_EQ(buffer.front(), "abc");
}

TEST(Buffer, PeekListsBlocksHeadFirstUpToTheSpan) {
  BlockPool pool;
  const Buffer buffer = chain(pool, {"abc", "de", "fgh"});
  iovec iov[4];
  ASSERT_EQ(buffer.peek(iov), 3U);
  EXPECT_EQ(std::string_view(static_cast<const char*>(iov[0].iov_base), iov[0].iov_len), "abc");
  EXPECT_EQ(std::string_view(static_cast<const char*>(iov[1].iov_base), iov[1].iov_len), "de");
  EXPECT_EQ(std::string_view(static_cast<const char*>(iov[2].iov_base), iov[2].iov_len), "fgh");
  EXPECT_EQ(buffer.peek(std::span<iovec>(iov, 2)), 2U);
  EXPECT_EQ(buffer.peek(std::span<iovec>()), 0U);
  EXPECT_EQ(Buffer().peek(iov), 0U);
}

// --- prepend --------------------------------------------------------------------

TEST(Buffer, PrependToAnEmptyBufferAppends) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.prepend("body"sv);
  buffer.append(" more"sv);
  EXPECT_EQ(buffer.block_count(), 1U);
  EXPECT_EQ(contents(buffer), "body more");
}

TEST(Buffer, PrependUsesTheRoomBeforeTheHead) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append("xxxxxbody"sv);
  buffer.drain(5);
  buffer.prepend("hdr:"sv);
  EXPECT_EQ(buffer.block_count(), 1U);
  EXPECT_EQ(buffer.front(), "hdr:body");
}

TEST(Buffer, PrependToAFullHeadAddsABlockWithRoomInFront) {
  BlockPool pool;
  Buffer buffer(pool);
  const std::string data = pattern(kBlock);
  buffer.append(data);
  buffer.prepend("2"sv);
  EXPECT_EQ(buffer.block_count(), 2U);
  buffer.prepend("1"sv);
  EXPECT_EQ(buffer.block_count(), 2U);
  EXPECT_EQ(buffer.front(), "12");
  EXPECT_EQ(contents(buffer), "12" + data);
}

TEST(Buffer, PrependSplitsBetweenANewBlockAndTheHeadsRoom) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append("0123456789body"sv);
  buffer.drain(10);
  buffer.prepend("abcdefghijklmnopqrstuvwxyz"sv);
  EXPECT_EQ(buffer.block_count(), 2U);
  EXPECT_EQ(buffer.front(), "abcdefghijklmnop");
  EXPECT_EQ(contents(buffer), "abcdefghijklmnopqrstuvwxyzbody");
}

TEST(Buffer, PrependLargerThanABlock) {
  BlockPool pool;
  Buffer pooled(pool);
  Buffer plain;
  const std::string big = pattern(2 * kBlock + 3);
  for (Buffer* buffer : {&pooled, &plain}) {
    buffer->append("tail"sv);
    buffer->prepend(big);
    EXPECT_EQ(contents(*buffer), big + "tail");
  }
  EXPECT_EQ(pooled.block_count(), 4U);
  EXPECT_EQ(plain.block_count(), 2U);
}

// --- reserve, commit ----------------------------------------------------------

TEST(Buffer, ReserveOffersTheTailsFreeSpace) {
  Buffer buffer;
  buffer.append("abc"sv);
  const std::span<char> space = buffer.reserve(100);
  EXPECT_EQ(space.data(), buffer.front().data() + 3);
  EXPECT_EQ(space.size(), kBlock - 3);
  EXPECT_EQ(buffer.block_count(), 1U);
}

TEST(Buffer, CommitOfPartOfAReservationMakesOnlyThatReadable) {
  BlockPool pool;
  Buffer buffer(pool);
  std::span<char> space = buffer.reserve(10);
  EXPECT_GE(space.size(), 10U);
  std::memcpy(space.data(), "0123456789", 10);
  buffer.commit(4);
  EXPECT_EQ(contents(buffer), "0123");
  buffer.append("x"sv);
  EXPECT_EQ(contents(buffer), "0123x");
  EXPECT_EQ(buffer.block_count(), 1U);
}

TEST(Buffer, ReserveAddsABlockWhenTheTailIsShort) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append(pattern(kBlock - 5));
  std::span<char> space = buffer.reserve(6);
  EXPECT_EQ(buffer.block_count(), 2U);
  EXPECT_EQ(space.size(), kBlock);
  space[0] = 'z';
  buffer.commit(1);
  EXPECT_EQ(contents(buffer), pattern(kBlock - 5) + "z");
}

TEST(Buffer, CommitOfNothingGivesANewBlockBack) {
  BlockPool pool;
  Buffer buffer(pool);
  (void)buffer.reserve(10);
  EXPECT_EQ(buffer.block_count(), 1U);
  EXPECT_TRUE(buffer.empty());
  buffer.commit(0);
  EXPECT_EQ(buffer.block_count(), 0U);
  EXPECT_EQ(pool.cached_blocks(), 1U);

  buffer.append(pattern(kBlock));
  (void)buffer.reserve(1);
  EXPECT_EQ(buffer.block_count(), 2U);
  buffer.commit(0);
  EXPECT_EQ(buffer.block_count(), 1U);
}

TEST(Buffer, ReserveOfNothingOnAnEmptyBufferAllocatesNothing) {
  Buffer buffer;
  EXPECT_TRUE(buffer.reserve(0).empty());
  EXPECT_EQ(buffer.block_count(), 0U);
  buffer.commit(0);
}

TEST(Buffer, ReserveLargerThanABlockGivesOneExactBlock) {
  BlockPool pool;
  Buffer buffer(pool);
  const std::span<char> space = buffer.reserve(2 * kBlock + 1);
  EXPECT_EQ(space.size(), 2 * kBlock + 1);
  const std::string data = pattern(2 * kBlock + 1);
  std::memcpy(space.data(), data.data(), data.size());
  buffer.commit(data.size());
  EXPECT_EQ(buffer.front(), data);
}

TEST(Buffer, AnAbandonedReservationIsReplacedNotChained) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append(pattern(kBlock - 1));
  (void)buffer.reserve(8);           // a new, empty tail block
  (void)buffer.reserve(3 * kBlock);  // replaces it
  EXPECT_EQ(buffer.block_count(), 2U);
  buffer.commit(0);
  EXPECT_EQ(buffer.block_count(), 1U);
  EXPECT_EQ(contents(buffer), pattern(kBlock - 1));
}

}  // namespace
