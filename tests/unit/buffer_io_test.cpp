// Buffer::read_from and Buffer::write_to on real descriptors: pipes and
// AF_UNIX socket pairs, all non-blocking. SIGPIPE keeps its default action
// here on purpose: a write_to that raised it would kill the test.
#include "buffer_fixtures.hpp"
#include "support/pipe.hpp"
#include "support/socket_pair.hpp"

#include <eddy/block_pool.hpp>
#include <eddy/buffer.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

namespace {

using eddy::BlockPool;
using eddy::Buffer;
using eddy::IoResult;
using eddy::test::Pipe;
using eddy::test::SocketPair;
using namespace std::string_view_literals;

using eddy::test::contents;
using eddy::test::kBlock;

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string out(n, '\0');
  for (char& c : out) {
    c = static_cast<char>(random() & 0xff);
  }
  return out;
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw std::system_error(errno, std::generic_category(), "write");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Writes until the kernel takes not even one more byte.
void fill_completely(int fd) {
  static const char chunk[4096] = {};
  for (std::size_t size = sizeof chunk; size > 0;) {
    const ssize_t n = ::write(fd, chunk, size);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      size /= 2;
    } else if (n < 0 && errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "fill");
    }
  }
}

// Pushes `data` from one buffer through the fds into another in random
// chunks: random appends, write_to and read_from with random limits, and
// checks that every byte arrives in order.
void transfer(const std::string& data, int write_fd, int read_fd, std::uint64_t seed) {
  BlockPool pool;
  Buffer writer(pool);
  Buffer reader(pool);
  std::mt19937_64 random(seed);
  auto below = [&random](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  std::size_t appended = 0;
  while (reader.size() < data.size()) {
    if (appended < data.size() && below(2) == 0) {
      const std::size_t n = std::min(data.size() - appended, 1 + below(70000));
      writer.append(data.data() + appended, n);
      appended += n;
    }
    if (!writer.empty()) {
      const std::size_t limit = below(4) == 0 ? 1 + below(100) : SIZE_MAX;
      const std::size_t before = writer.size();
      const IoResult wrote = writer.write_to(write_fd, limit);
      ASSERT_FALSE(wrote.error) << wrote.error.message();
      ASSERT_FALSE(wrote.eof);
      ASSERT_LE(wrote.bytes, limit);
      ASSERT_EQ(writer.size(), before - wrote.bytes);
    }
    const std::size_t limit = below(3) == 0 ? 1 + below(2 * kBlock) : Buffer::kDefaultReadSize;
    const IoResult read = reader.read_from(read_fd, limit);
    ASSERT_FALSE(read.error) << read.error.message();
    ASSERT_FALSE(read.eof);
    ASSERT_LE(read.bytes, limit);
  }
  EXPECT_EQ(appended, data.size());
  EXPECT_TRUE(writer.empty());
  EXPECT_TRUE(contents(reader) == data) << "the bytes that arrived differ from those sent";
}

TEST(BufferIo, CarriesOneMebibyteThroughAPipeInRandomChunks) {
  const std::string data = random_bytes(1024 * 1024, 1);
  Pipe pipe;
  transfer(data, pipe.write_fd(), pipe.read_fd(), 2);
}

TEST(BufferIo, CarriesOneMebibyteThroughASocketPairBothWays) {
  const std::string data = random_bytes(1024 * 1024, 3);
  SocketPair pair;
  transfer(data, pair.first(), pair.second(), 4);
  transfer(data, pair.second(), pair.first(), 5);
}

TEST(BufferIo, ReadFromReportsEndOfFileWhenTheWriterCloses) {
  BlockPool pool;
  Buffer buffer(pool);
  Pipe pipe;
  write_all(pipe.write_fd(), "abc");
  pipe.close_write();
  IoResult result = buffer.read_from(pipe.read_fd());
  EXPECT_EQ(result.bytes, 3U);
  EXPECT_FALSE(result.eof);
  result = buffer.read_from(pipe.read_fd());
  EXPECT_EQ(result.bytes, 0U);
  EXPECT_TRUE(result.eof);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(contents(buffer), "abc");
  EXPECT_EQ(buffer.block_count(), 1U);
}

TEST(BufferIo, ReadFromAnEmptyPipeWouldBlockAndKeepsNoBlock) {
  BlockPool pool;
  Buffer buffer(pool);
  Pipe pipe;
  const IoResult result = buffer.read_from(pipe.read_fd());
  EXPECT_TRUE(result.would_block());
  EXPECT_FALSE(result.error);
  EXPECT_FALSE(result.eof);
  EXPECT_EQ(buffer.block_count(), 0U);
  EXPECT_EQ(pool.allocated_blocks(), 0);
  EXPECT_EQ(pool.cached_blocks(), 1U);  // the one block it offered, given back
}

TEST(BufferIo, ReadFromAnIdleSocketKeepsOnlyTheBlockThatGotData) {
  BlockPool pool;
  Buffer buffer(pool);
  SocketPair pair;
  write_all(pair.second(), "0123456789");
  const IoResult result = buffer.read_from(pair.first());
  EXPECT_EQ(result.bytes, 10U);
  EXPECT_EQ(buffer.block_count(), 1U);
  EXPECT_EQ(pool.allocated_blocks(), 1);
  EXPECT_EQ(pool.cached_blocks(), 0U);  // a first read offers one block: no pool traffic beyond it
  EXPECT_EQ(contents(buffer), "0123456789");
}

TEST(BufferIo, ReadFromFillsTheTailsFreeSpaceFirst) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append("head:"sv);
  SocketPair pair;
  write_all(pair.second(), "more");
  EXPECT_EQ(buffer.read_from(pair.first()).bytes, 4U);
  EXPECT_EQ(buffer.block_count(), 1U);
  EXPECT_EQ(buffer.front(), "head:more");
}

TEST(BufferIo, ReadFromGrowsToSixtyFourKibibytesWhileReadsFillTheirOffer) {
  BlockPool pool;
  Pipe pipe;
  ASSERT_GE(::fcntl(pipe.write_fd(), F_SETPIPE_SZ, 1024 * 1024), 1024 * 1024);
  const std::string data = random_bytes(400 * 1024, 8);
  write_all(pipe.write_fd(), data);

  // One block, then twice as many after each read that filled its offer,
  // up to four: 16, 32, 64, 64 KiB.
  Buffer empty(pool);
  EXPECT_EQ(empty.read_from(pipe.read_fd()).bytes, kBlock);
  EXPECT_EQ(empty.read_from(pipe.read_fd()).bytes, 2 * kBlock);
  EXPECT_EQ(empty.read_from(pipe.read_fd()).bytes, Buffer::kDefaultReadSize);
  EXPECT_EQ(empty.read_from(pipe.read_fd()).bytes, Buffer::kDefaultReadSize);
  EXPECT_EQ(empty.block_count(), 11U);

  Buffer partly_full(pool);
  partly_full.append(std::string(kBlock - 100, 'x'));
  // max_bytes caps a read: 100 bytes into the tail, 900 into a new block.
  EXPECT_EQ(partly_full.read_from(pipe.read_fd(), 1000).bytes, 1000U);
  EXPECT_EQ(partly_full.block_count(), 2U);
  // Then the tail's free space and the fresh blocks: one, two, four.
  EXPECT_EQ(partly_full.read_from(pipe.read_fd(), SIZE_MAX).bytes, (kBlock - 900) + 2 * kBlock);
  EXPECT_EQ(partly_full.read_from(pipe.read_fd(), SIZE_MAX).bytes, Buffer::kDefaultReadSize);
  EXPECT_EQ(partly_full.block_count(), 8U);

  const std::string received = contents(empty) + contents(partly_full).substr(kBlock - 100);
  EXPECT_TRUE(received == data.substr(0, received.size()));
}

TEST(BufferIo, ReadFromOffersOneBlockLessAfterEachReadThatLeavesABlockEmpty) {
  BlockPool pool;
  Buffer buffer(pool);
  Pipe pipe;
  ASSERT_GE(::fcntl(pipe.write_fd(), F_SETPIPE_SZ, 1024 * 1024), 1024 * 1024);
  // What one read takes when more is waiting than it offers: its offer.
  const auto offer = [&] {
    write_all(pipe.write_fd(), std::string(5 * kBlock, 'b'));
    const std::size_t got = buffer.read_from(pipe.read_fd()).bytes;
    buffer.clear();
    Buffer sink;  // empties the pipe without touching `buffer`'s adaptation
    while (sink.read_from(pipe.read_fd()).bytes > 0) {
      sink.clear();
    }
    return got;
  };
  const auto small_read = [&] {
    write_all(pipe.write_fd(), "ping");
    EXPECT_EQ(buffer.read_from(pipe.read_fd()).bytes, 4U);
    buffer.clear();
  };
  EXPECT_EQ(offer(), kBlock);
  EXPECT_EQ(offer(), 2 * kBlock);
  EXPECT_EQ(offer(), 4 * kBlock);
  small_read();  // offered 4 blocks, used 1: the next offer is 3
  EXPECT_EQ(offer(), 3 * kBlock);
  small_read();  // offered 4 again (3 filled, doubled, capped): 3 next
  small_read();  // 2 next
  small_read();  // 1 next
  small_read();  // stays 1: nothing left to give back
  EXPECT_EQ(offer(), kBlock);
}

TEST(BufferIo, ReadFromWaitsLongerToGrowAfterAnOfferThatWentUnused) {
  BlockPool pool;
  Buffer buffer(pool);
  Pipe pipe;
  ASSERT_GE(::fcntl(pipe.write_fd(), F_SETPIPE_SZ, 1024 * 1024), 1024 * 1024);
  const auto offer = [&] {
    write_all(pipe.write_fd(), std::string(5 * kBlock, 'b'));
    const std::size_t got = buffer.read_from(pipe.read_fd()).bytes;
    buffer.clear();
    Buffer sink;
    while (sink.read_from(pipe.read_fd()).bytes > 0) {
      sink.clear();
    }
    return got;
  };
  // A message of exactly one block, as a 16 KiB echo sends them.
  const auto one_block = [&] {
    write_all(pipe.write_fd(), std::string(kBlock, 'm'));
    EXPECT_EQ(buffer.read_from(pipe.read_fd()).bytes, kBlock);
    buffer.clear();
  };
  one_block();                     // filled one block: two next
  one_block();                     // offered two, got one: one next, and two full reads to grow
  one_block();                     // the first full read
  EXPECT_EQ(offer(), kBlock);      // the second: two next
  EXPECT_EQ(offer(), 2 * kBlock);  // the bigger offer filled: growing is quick again
  EXPECT_EQ(offer(), 4 * kBlock);
}

TEST(BufferIo, ReadFromWithoutRoomToReadReadsNothing) {
  Buffer buffer;
  Pipe pipe;
  write_all(pipe.write_fd(), "abc");
  EXPECT_TRUE(buffer.read_from(pipe.read_fd(), 0).would_block());
  EXPECT_EQ(buffer.block_count(), 0U);
  EXPECT_EQ(buffer.read_from(pipe.read_fd()).bytes, 3U);  // a buffer without a pool reads too
}

TEST(BufferIo, ReadFromABadDescriptorReportsTheErrorAndKeepsNoBlock) {
  BlockPool pool;
  Buffer buffer(pool);
  const IoResult result = buffer.read_from(-1);
  EXPECT_EQ(result.error, std::errc::bad_file_descriptor);
  EXPECT_EQ(result.bytes, 0U);
  EXPECT_EQ(buffer.block_count(), 0U);
  EXPECT_EQ(pool.allocated_blocks(), 0);
}

TEST(BufferIo, WriteToASocketWhosePeerClosedFailsWithEpipeNotSigpipe) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append("nobody reads this"sv);
  SocketPair pair;
  pair.close_second();
  const IoResult result = buffer.write_to(pair.first());
  // Reaching this line at all means no SIGPIPE: its default action kills.
  EXPECT_EQ(result.error, std::errc::broken_pipe);
  EXPECT_EQ(result.bytes, 0U);
  EXPECT_EQ(buffer.size(), 17U);
}

TEST(BufferIo, WriteToAFullSocketWouldBlockWithoutError) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append("more"sv);
  SocketPair pair;
  fill_completely(pair.first());
  const IoResult result = buffer.write_to(pair.first());
  EXPECT_TRUE(result.would_block());
  EXPECT_FALSE(result.error);
  EXPECT_FALSE(result.eof);
  EXPECT_EQ(buffer.size(), 4U);
}

TEST(BufferIo, WriteToStopsAtMaxBytes) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append(std::string(3 * kBlock, 'a'));
  SocketPair pair;
  EXPECT_EQ(buffer.write_to(pair.first(), kBlock + 5).bytes, kBlock + 5);
  EXPECT_EQ(buffer.size(), 2 * kBlock - 5);
  EXPECT_EQ(buffer.block_count(), 2U);
  EXPECT_TRUE(buffer.write_to(pair.first(), 0).would_block());
}

TEST(BufferIo, WriteToGathersManyBlocksInOneCall) {
  BlockPool pool;
  Buffer buffer(pool);
  std::string expected;
  for (char c = 'a'; c <= 'j'; ++c) {
    // One small block each: reserve(kBlock) starts a new block.
    std::span<char> space = buffer.reserve(kBlock);
    space[0] = c;
    buffer.commit(1);
    expected += c;
  }
  ASSERT_EQ(buffer.block_count(), 10U);
  SocketPair pair;
  EXPECT_EQ(buffer.write_to(pair.first()).bytes, 10U);
  EXPECT_EQ(buffer.block_count(), 0U);
  char received[16] = {};
  EXPECT_EQ(::read(pair.second(), received, sizeof received), 10);
  EXPECT_EQ(std::string_view(received, 10), expected);
}

TEST(BufferIo, WriteToAPipeFallsBackToWritev) {
  Buffer buffer;
  buffer.append("through a pipe"sv);
  Pipe pipe;
  const IoResult result = buffer.write_to(pipe.write_fd());
  EXPECT_FALSE(result.error) << result.error.message();
  EXPECT_EQ(result.bytes, 14U);
  char received[16] = {};
  EXPECT_EQ(::read(pipe.read_fd(), received, sizeof received), 14);
}

TEST(BufferIo, WriteToFromAnEmptyBufferMakesNoSystemCall) {
  Buffer buffer;
  const IoResult result = buffer.write_to(-1);  // a call would fail with EBADF
  EXPECT_TRUE(result.would_block());
  EXPECT_FALSE(result.error);
}

// One block and many take different calls (send, sendmsg): each falls back
// to its own on a pipe.
TEST(BufferIo, WriteToAPipeFallsBackToWritevForManyBlocksToo) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append(std::string(kBlock, 'a'));
  buffer.append("bc"sv);
  ASSERT_EQ(buffer.block_count(), 2U);
  Pipe pipe;
  const IoResult result = buffer.write_to(pipe.write_fd());
  EXPECT_FALSE(result.error) << result.error.message();
  EXPECT_EQ(result.bytes, kBlock + 2);
  EXPECT_EQ(buffer.block_count(), 0U);
  Buffer received;
  EXPECT_EQ(received.read_from(pipe.read_fd()).bytes, kBlock);  // a first read offers one block
  EXPECT_EQ(received.read_from(pipe.read_fd()).bytes, 2U);
  EXPECT_EQ(received.contiguous(kBlock + 2).substr(kBlock - 1), "abc");
}

TEST(BufferIo, WriteToOfPartOfOneBlockKeepsTheRestInThatBlock) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append("0123456789"sv);
  SocketPair pair;
  EXPECT_EQ(buffer.write_to(pair.first(), 4).bytes, 4U);
  EXPECT_EQ(buffer.size(), 6U);
  EXPECT_EQ(buffer.block_count(), 1U);
  EXPECT_EQ(buffer.front(), "456789");
  EXPECT_EQ(buffer.write_to(pair.first()).bytes, 6U);
  EXPECT_EQ(buffer.block_count(), 0U);
  EXPECT_EQ(pool.allocated_blocks(), 0);
  char received[16] = {};
  EXPECT_EQ(::read(pair.second(), received, sizeof received), 10);
  EXPECT_EQ(std::string_view(received, 10), "0123456789");
}

TEST(BufferIo, WriteToWithOnlyAReservedBlockMakesNoSystemCall) {
  BlockPool pool;
  Buffer buffer(pool);
  (void)buffer.reserve(10);                     // an empty block at the tail until commit()
  const IoResult result = buffer.write_to(-1);  // a call would fail with EBADF
  EXPECT_TRUE(result.would_block());
  EXPECT_FALSE(result.error);
  buffer.commit(0);
  EXPECT_EQ(pool.allocated_blocks(), 0);
}

TEST(BufferIo, ReadFromThatTheTailCanHoldTakesNoFreshBlock) {
  BlockPool pool;
  Buffer buffer(pool);
  buffer.append("head:"sv);
  Pipe pipe;
  write_all(pipe.write_fd(), "0123456789");
  EXPECT_EQ(buffer.read_from(pipe.read_fd(), 4).bytes, 4U);
  EXPECT_EQ(buffer.block_count(), 1U);
  EXPECT_EQ(pool.allocated_blocks(), 1);
  EXPECT_EQ(buffer.front(), "head:0123");
}

TEST(BufferIo, ReadFromAClosedPipeIntoAnEmptyBufferKeepsNoBlock) {
  BlockPool pool;
  Buffer buffer(pool);
  Pipe pipe;
  write_all(pipe.write_fd(), "last");
  pipe.close_write();
  EXPECT_EQ(buffer.read_from(pipe.read_fd()).bytes, 4U);
  buffer.clear();
  const IoResult result = buffer.read_from(pipe.read_fd());
  EXPECT_TRUE(result.eof);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(buffer.block_count(), 0U);
  EXPECT_EQ(pool.allocated_blocks(), 0);
}

}  // namespace
