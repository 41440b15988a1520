// With a warmed-up BlockPool, Buffer's steady state allocates nothing
// (DESIGN.md: "steady state allocates nothing"). This binary replaces the
// global operator new and delete with versions that count calls while a
// Counting object is alive; no gtest assertion may run while it counts (a
// failing one allocates).
#include "support/counting_allocator.hpp"
#include "support/pipe.hpp"
#include "support/socket_pair.hpp"

#include <eddy/block_pool.hpp>
#include <eddy/buffer.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <string_view>

namespace {

using eddy::BlockPool;
using eddy::Buffer;
using namespace std::string_view_literals;

constexpr std::size_t kBlock = BlockPool::kBlockSize;
constexpr int kWarmUp = 4;
constexpr int kRounds = 100;

using Counts = eddy::test::AllocationCounts;
using Counting = eddy::test::CountAllocations;

// Runs `round` kWarmUp times, then counts over kRounds more.
template <typename Round>
Counts steady_state(Round round) {
  for (int i = 0; i < kWarmUp; ++i) {
    round();
  }
  Counting counting_scope;
  for (int i = 0; i < kRounds; ++i) {
    round();
  }
  return counting_scope.stop();
}

TEST(BufferAllocation, TheCounterSeesAllocations) {
  // Calls of the allocation functions themselves: unlike new-expressions,
  // the optimizer may not elide them ([expr.new]).
  Counting count;
  void* p = ::operator new(sizeof(int));
  ::operator delete(p);
  const Counts n = count.stop();
  EXPECT_EQ(n.allocations, 1U) << "the operator new replacement is not in effect; the other tests prove nothing";
  EXPECT_EQ(n.deallocations, 1U);
}

TEST(BufferAllocation, AWarmPoolMakesAppendAndDrainFree) {
  BlockPool pool;
  Buffer buffer(pool);
  const std::string small(64, 's');
  const std::string block(kBlock, 'b');
  const std::string large(40 * 1024, 'l');
  const Counts n = steady_state([&] {
    for (int i = 0; i < 300; ++i) {  // 19 KiB: crosses a block boundary
      buffer.append(small);
    }
    buffer.append(block);
    buffer.append(large);
    buffer.drain(100);
    buffer.prepend("header"sv);
    buffer.drain(buffer.size() / 2);
    buffer.clear();
  });
  EXPECT_EQ(n.allocations, 0U);
  EXPECT_EQ(n.deallocations, 0U);
}

TEST(BufferAllocation, MovingBuffersIntoEachOtherIsFree) {
  BlockPool pool;
  Buffer output(pool);
  const std::string message(100, 'm');
  const std::string big(3 * kBlock, 'B');
  const Counts n = steady_state([&] {
    for (int i = 0; i < 50; ++i) {
      Buffer input(pool);
      input.append(i % 10 == 0 ? std::string_view(big) : std::string_view(message));
      output.append(std::move(input));
    }
    output.clear();
  });
  EXPECT_EQ(n.allocations, 0U);
}

TEST(BufferAllocation, ReadingLinesIntoAReusedStringIsFree) {
  BlockPool pool;
  Buffer buffer(pool);
  std::string lines;
  for (int i = 0; i < 500; ++i) {
    lines += "GET /index.html HTTP/1.1 and some more text\r\n";
  }
  std::string line;
  line.reserve(256);
  std::size_t taken = 0;
  const Counts n = steady_state([&] {
    buffer.append(lines);
    while (buffer.read_line(line)) {
      ++taken;
    }
  });
  EXPECT_EQ(n.allocations, 0U);
  EXPECT_EQ(taken, (kWarmUp + kRounds) * 500U);
  EXPECT_TRUE(buffer.empty());
}

TEST(BufferAllocation, LookingIntoTheBufferIsFree) {
  BlockPool pool;
  Buffer buffer(pool);
  const std::string data(3 * kBlock, 'd');
  char out[256];
  iovec iov[8];
  std::size_t found = 0;
  const Counts n = steady_state([&] {
    buffer.append(data);
    buffer.append("needle"sv);
    found += buffer.find("needle") != Buffer::npos ? 1U : 0U;
    found += buffer.peek(iov) > 0 ? 1U : 0U;
    buffer.drain(kBlock - 10);
    found += buffer.contiguous(1000).size() == 1000 ? 1U : 0U;
    std::span<char> space = buffer.reserve(100);
    std::memset(space.data(), 'r', 100);
    buffer.commit(100);
    buffer.remove(out, sizeof out);
    buffer.clear();
  });
  EXPECT_EQ(n.allocations, 0U);
  EXPECT_EQ(found, 3U * (kWarmUp + kRounds));
}

TEST(BufferAllocation, ReadingAndWritingASocketIsFree) {
  BlockPool pool;
  Buffer output(pool);
  Buffer input(pool);
  eddy::test::SocketPair pair;
  const std::string message(20 * 1024, 'x');
  bool failed = false;
  const Counts n = steady_state([&] {
    output.append(message);
    while (!failed && (!output.empty() || input.size() < message.size())) {
      const eddy::IoResult wrote = output.write_to(pair.first());
      const eddy::IoResult read = input.read_from(pair.second());
      failed = failed || wrote.error || read.error || read.eof;
    }
    input.clear();
  });
  EXPECT_FALSE(failed);
  EXPECT_EQ(n.allocations, 0U);
}

// A 16 KiB echo reads messages of exactly one block. Each read fills its
// one-block offer; were the offer to grow on every such read, every other
// read would take a second block that gets nothing. With a pool that caches
// one block, a second block costs an allocation: a stream that settles on
// one block per read allocates (almost) never.
TEST(BufferAllocation, AStreamOfOneBlockMessagesSettlesOnOneBlockPerRead) {
  BlockPool pool(kBlock);
  Buffer input(pool);
  eddy::test::Pipe pipe;
  const std::string message(kBlock, 'm');
  bool failed = false;
  const Counts n = steady_state([&] {
    for (int i = 0; i < 10; ++i) {
      failed = failed || ::write(pipe.write_fd(), message.data(), message.size()) != static_cast<ssize_t>(kBlock);
      failed = failed || input.read_from(pipe.read_fd()).bytes != kBlock;
      input.clear();
    }
  });
  EXPECT_FALSE(failed);
  // 1 000 reads after 40 to settle. The offer still grows again after 64
  // full reads (about 15 times here); growing on every full read made 500.
  EXPECT_LE(n.allocations, 1000U / 32);
}

TEST(BufferAllocation, ThePoolFreesEveryCachedBlockWhenDestroyed) {
  std::optional<BlockPool> pool(std::in_place);
  {
    Buffer buffer(*pool);
    buffer.append(std::string(5 * kBlock, 'p'));
  }
  ASSERT_EQ(pool->cached_blocks(), 5U);
  Counting count;
  pool.reset();
  const Counts n = count.stop();
  EXPECT_EQ(n.deallocations, 5U);
}

}  // namespace
