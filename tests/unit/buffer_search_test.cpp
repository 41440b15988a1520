// Buffer: contiguous(), find(), find_byte() and read_line(), with data
// split across blocks.
#include "buffer_fixtures.hpp"

#include <eddy/block_pool.hpp>
#include <eddy/buffer.hpp>

#include <gtest/gtest.h>

#include <optional>
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

// --- contiguous ---------------------------------------------------------------

TEST(Buffer, ContiguousWithinTheHeadCopiesNothing) {
  BlockPool pool;
  Buffer buffer = chain(pool, {"abcdef", "gh"});
  const char* head = buffer.front().data();
  const std::string_view view = buffer.contiguous(4);
  EXPECT_EQ(view, "abcd");
  EXPECT_EQ(view.data(), head);
  EXPECT_EQ(buffer.block_count(), 2U);
}

TEST(Buffer, ContiguousAcrossBlocksGathersIntoTheHead) {
  BlockPool pool;
  Buffer buffer = chain(pool, {"abc", "de", "fgh"});
  EXPECT_EQ(buffer.contiguous(7), "abcdefg");
  EXPECT_EQ(buffer.block_count(), 2U);  // "de" was used up and given back
  EXPECT_EQ(buffer.front(), "abcdefg");
  EXPECT_EQ(contents(buffer), "abcdefgh");
  EXPECT_EQ(buffer.contiguous(100), "abcdefgh");
  EXPECT_EQ(buffer.block_count(), 1U);
}

TEST(Buffer, ContiguousSlidesTheHeadWhenThereIsNoRoomAfterIt) {
  BlockPool pool;
  const std::string data = pattern(2 * kBlock);
  Buffer buffer(pool);
  buffer.append(data);
  buffer.drain(kBlock - 10);  // head: 10 bytes at its very end
  const std::string_view view = buffer.contiguous(100);
  EXPECT_EQ(view, data.substr(kBlock - 10, 100));
  EXPECT_EQ(buffer.block_count(), 2U);
  EXPECT_EQ(contents(buffer), data.substr(kBlock - 10));
}

TEST(Buffer, ContiguousLargerThanABlockUsesANewHeadBlock) {
  BlockPool pool;
  const std::string data = pattern(3 * kBlock);
  Buffer buffer(pool);
  buffer.append(data);
  const std::string_view view = buffer.contiguous(2 * kBlock + 7);
  EXPECT_EQ(view, data.substr(0, 2 * kBlock + 7));
  EXPECT_EQ(buffer.front().size(), 2 * kBlock + 7);
  EXPECT_EQ(buffer.block_count(), 2U);
  EXPECT_EQ(contents(buffer), data);
}

TEST(Buffer, ContiguousOfNothingIsEmpty) {
  Buffer buffer;
  EXPECT_TRUE(buffer.contiguous(10).empty());
  buffer.append("ab"sv);
  EXPECT_TRUE(buffer.contiguous(0).empty());
}

// --- find -----------------------------------------------------------------------

TEST(Buffer, FindsANeedleWithinABlock) {
  Buffer buffer;
  buffer.append("hello world"sv);
  EXPECT_EQ(buffer.find("world"), 6U);
  EXPECT_EQ(buffer.find("o"), 4U);
  EXPECT_EQ(buffer.find("o", 5), 7U);
  EXPECT_EQ(buffer.find("hello world"), 0U);
}

TEST(Buffer, FindsANeedleSplitOverThreeBlocks) {
  BlockPool pool;
  const Buffer buffer = chain(pool, {"xxa", "b", "cyy"});
  EXPECT_EQ(buffer.find("abc"), 2U);
  EXPECT_EQ(buffer.find("xabcy"), 1U);
  EXPECT_EQ(buffer.find("xxabcyy"), 0U);
}

TEST(Buffer, FindsALongNeedleSpanningAWholeBlock) {
  BlockPool pool;
  const std::string data = pattern(3 * kBlock);
  Buffer buffer(pool);
  buffer.append(data);
  const std::string needle = data.substr(kBlock - 3, kBlock + 6);
  EXPECT_EQ(buffer.find(needle), kBlock - 3);
}

TEST(Buffer, FindRestartsAfterAFalseStartAcrossBlocks) {
  BlockPool pool;
  const Buffer buffer = chain(pool, {"ab", "ab", "c"});
  EXPECT_EQ(buffer.find("abc"), 2U);
  EXPECT_EQ(buffer.find("abab"), 0U);
}

TEST(Buffer, FindReportsAbsentNeedles) {
  BlockPool pool;
  const Buffer buffer = chain(pool, {"xxab"});
  EXPECT_EQ(buffer.find("abc"), Buffer::npos);  // a prefix at the very end
  EXPECT_EQ(buffer.find("q"), Buffer::npos);
  EXPECT_EQ(buffer.find("xxabx"), Buffer::npos);  // longer than the buffer
  EXPECT_EQ(Buffer().find("a"), Buffer::npos);
}

TEST(Buffer, FindFromSkipsEarlierMatchesAndBlocks) {
  BlockPool pool;
  const Buffer buffer = chain(pool, {"abab", "ab"});
  EXPECT_EQ(buffer.find("ab", 1), 2U);
  EXPECT_EQ(buffer.find("ab", 3), 4U);
  EXPECT_EQ(buffer.find("ab", 5), Buffer::npos);
  EXPECT_EQ(buffer.find("ba", 1), 1U);
  EXPECT_EQ(buffer.find("ba", 2), 3U);
  EXPECT_EQ(buffer.find("a", 7), Buffer::npos);
}

TEST(Buffer, EmptyNeedleMatchesAtFrom) {
  Buffer buffer;
  buffer.append("abc"sv);
  EXPECT_EQ(buffer.find(""), 0U);
  EXPECT_EQ(buffer.find("", 3), 3U);
  EXPECT_EQ(buffer.find("", 4), Buffer::npos);
}

TEST(Buffer, FindByteStopsAtTheLimit) {
  BlockPool pool;
  const Buffer buffer = chain(pool, {"ab", "cd\n"});
  EXPECT_EQ(buffer.find_byte('\n'), 4U);
  EXPECT_EQ(buffer.find_byte('\n', 5), 4U);
  EXPECT_EQ(buffer.find_byte('\n', 4), Buffer::npos);
  EXPECT_EQ(buffer.find_byte('c', 3), 2U);
}

// --- read_line ------------------------------------------------------------------

TEST(Buffer, ReadLineTakesLfAndCrlfLines) {
  Buffer buffer;
  buffer.append("one\ntwo\r\n\n\r\nrest"sv);
  std::string line;
  ASSERT_TRUE(buffer.read_line(line));
  EXPECT_EQ(line, "one");
  ASSERT_TRUE(buffer.read_line(line));
  EXPECT_EQ(line, "two");
  ASSERT_TRUE(buffer.read_line(line));
  EXPECT_EQ(line, "");
  ASSERT_TRUE(buffer.read_line(line));
  EXPECT_EQ(line, "");
  EXPECT_FALSE(buffer.read_line(line));
  EXPECT_EQ(contents(buffer), "rest");
}

TEST(Buffer, ReadLineOfAnIncompleteLineDrainsNothing) {
  Buffer buffer;
  buffer.append("partial\r"sv);
  std::string line = "untouched";
  EXPECT_FALSE(buffer.read_line(line));
  EXPECT_EQ(line, "untouched");
  EXPECT_EQ(contents(buffer), "partial\r");
  EXPECT_FALSE(Buffer().read_line(line));
}

TEST(Buffer, ReadLineFindsCrlfSplitBetweenBlocks) {
  BlockPool pool;
  Buffer buffer = chain(pool, {"hel", "lo\r", "\nnext\n"});
  std::string line;
  ASSERT_TRUE(buffer.read_line(line));
  EXPECT_EQ(line, "hello");
  EXPECT_EQ(buffer.block_count(), 1U);
  ASSERT_TRUE(buffer.read_line(line));
  EXPECT_EQ(line, "next");
  EXPECT_EQ(buffer.block_count(), 0U);
}

TEST(Buffer, LoneCrIsData) {
  Buffer buffer;
  buffer.append("a\rb"sv);
  std::string line;
  EXPECT_FALSE(buffer.read_line(line));
  buffer.append("\r\r\n"sv);
  ASSERT_TRUE(buffer.read_line(line));
  EXPECT_EQ(line, "a\rb\r");
}

TEST(Buffer, ReadLineLeavesLinesLongerThanTheLimit) {
  Buffer buffer;
  buffer.append("0123456789\n"sv);
  std::string line;
  EXPECT_FALSE(buffer.read_line(line, 10));  // the LF is the 11th byte
  EXPECT_GE(buffer.size(), 10U);             // how a caller tells "too long" from "not yet"
  EXPECT_EQ(buffer.size(), 11U);
  ASSERT_TRUE(buffer.read_line(line, 11));
  EXPECT_EQ(line, "0123456789");
}

TEST(Buffer, ReadLineReturningAStringWorksToo) {
  Buffer buffer;
  buffer.append("GET / HTTP/1.1\r\nHost"sv);
  EXPECT_EQ(buffer.read_line(), "GET / HTTP/1.1");
  EXPECT_EQ(buffer.read_line(), std::nullopt);
  EXPECT_EQ(contents(buffer), "Host");
}

}  // namespace
