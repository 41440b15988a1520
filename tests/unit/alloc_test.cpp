// Once warmed up, the loop allocates nothing (docs/loop.md, "Allocation").
// This binary replaces the global operator new and delete with versions
// that count allocations while a CountAllocations object is alive, on every
// thread.
#include "support/counting_allocator.hpp"
#include "support/pipe.hpp"
#include "support/socket_pair.hpp"

#include <eddy/io_events.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>
#include <eddy/timer.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <optional>
#include <semaphore>
#include <thread>
#include <vector>


namespace {

using namespace std::chrono_literals;
using eddy::test::Pipe;

using eddy::test::CountAllocations;

constexpr int kWarmUp = 4;
constexpr int kRounds = 200;
constexpr std::size_t kBatch = 64;

TEST(Allocation, TheCounterSeesAllocations) {
  // Calls of the allocation functions themselves: unlike new-expressions,
  // the optimizer may not elide them ([expr.new]).
  CountAllocations count;
  void* p = ::operator new(sizeof(int));
  void* q = ::operator new[](4 * sizeof(int));
  const std::size_t n = count.stop().allocations;
  ::operator delete(p);
  ::operator delete[](q);
  EXPECT_EQ(n, 2U) << "the operator new replacement is not in effect; the other tests prove nothing";
}

TEST(Allocation, StartingAndStoppingIoWatchersDoesNotAllocate) {
  eddy::Loop loop;
  Pipe first;
  Pipe second;
  eddy::IoWatcher a(loop, first.read_fd(), [](unsigned) {});
  eddy::IoWatcher b(loop, second.write_fd(), [](unsigned) {});
  auto cycle = [&] {
    a.start(eddy::kReadable);
    b.start(eddy::kWritable);
    a.start(eddy::kReadable | eddy::kWritable);
    a.stop();
    b.stop();
  };
  for (int i = 0; i < kWarmUp; ++i) {
    cycle();
  }
  CountAllocations count;
  for (int i = 0; i < kRounds; ++i) {
    cycle();
  }
  EXPECT_EQ(count.stop().allocations, 0U);
}

TEST(Allocation, DispatchingReadyEventsDoesNotAllocate) {
  eddy::Loop loop;
  constexpr int kFds = 8;
  std::vector<std::optional<Pipe>> pipes(kFds);
  std::vector<std::optional<eddy::IoWatcher>> watchers(kFds);
  int calls = 0;
  for (std::size_t i = 0; i < kFds; ++i) {
    pipes[i].emplace();
    pipes[i]->write_byte();  // never drained: ready on every iteration
    watchers[i].emplace(loop, pipes[i]->read_fd(), [&calls](unsigned) { ++calls; });
    watchers[i]->start(eddy::kReadable);
  }
  eddy::test::SocketPair pair;
  eddy::IoWatcher both(loop, pair.first(), [&calls](unsigned) { ++calls; });
  both.start(eddy::kWritable);
  for (int i = 0; i < kWarmUp; ++i) {
    loop.run_once(0ns);
  }
  calls = 0;
  CountAllocations count;
  for (int i = 0; i < kRounds; ++i) {
    loop.run_once(0ns);
  }
  const std::size_t n = count.stop().allocations;
  EXPECT_EQ(n, 0U);
  EXPECT_EQ(calls, kRounds * (kFds + 1));
}

TEST(Allocation, StartingStoppingRefreshingAndFiringTimersDoesNotAllocate) {
  eddy::Loop loop;
  constexpr std::size_t kTimers = 64;
  std::vector<std::optional<eddy::Timer>> timers(kTimers);
  int fired = 0;
  for (std::size_t i = 0; i < kTimers; ++i) {
    timers[i].emplace(loop, [&fired] { ++fired; });
  }
  eddy::Timer repeating(loop, [&fired] { ++fired; });
  auto round = [&] {
    for (std::size_t i = 0; i < kTimers; ++i) {
      timers[i]->start(i % 2 == 0 ? 0ns : 1h);
    }
    for (std::size_t i = 1; i < kTimers; i += 4) {
      timers[i]->refresh();
      timers[i]->stop();
    }
    repeating.start(0ns, 1ns);
    loop.run_once(0ns);  // fires the due ones and the repeating one
    loop.run_once(0ns);  // the repeating one again
    for (std::size_t i = 0; i < kTimers; ++i) {
      timers[i]->stop();
    }
    repeating.stop();
  };
  for (int i = 0; i < kWarmUp; ++i) {
    round();
  }
  fired = 0;
  CountAllocations count;
  for (int i = 0; i < kRounds; ++i) {
    round();
  }
  const std::size_t n = count.stop().allocations;
  EXPECT_EQ(n, 0U);
  EXPECT_GE(fired, kRounds * static_cast<int>(kTimers / 2));
}

TEST(Allocation, PostingSmallTasksFromTheLoopThreadDoesNotAllocate) {
  eddy::Loop loop;
  std::size_t ran = 0;
  auto round = [&] {
    for (std::size_t i = 0; i < kBatch; ++i) {
      loop.post([&ran] { ++ran; });
    }
    loop.run_once(0ns);
  };
  for (int i = 0; i < kWarmUp; ++i) {
    round();
  }
  ran = 0;
  CountAllocations count;
  for (int i = 0; i < kRounds; ++i) {
    round();
  }
  const std::size_t n = count.stop().allocations;
  EXPECT_EQ(n, 0U);
  EXPECT_EQ(ran, kRounds * kBatch);
}

TEST(Allocation, PostingSmallTasksFromAnotherThreadDoesNotAllocate) {
  eddy::Loop loop;
  std::size_t ran = 0;
  std::binary_semaphore go(0);
  std::binary_semaphore posted(0);
  // One thread for the whole test: creating threads allocates.
  std::thread poster([&] {
    for (int i = 0; i < kWarmUp + kRounds; ++i) {
      go.acquire();
      for (std::size_t j = 0; j < kBatch; ++j) {
        loop.post([&ran] { ++ran; });
      }
      posted.release();
    }
  });
  auto round = [&] {
    go.release();
    posted.acquire();
    loop.run_once(0ns);  // takes the whole batch at once
  };
  for (int i = 0; i < kWarmUp; ++i) {
    round();
  }
  ran = 0;
  CountAllocations count;
  for (int i = 0; i < kRounds; ++i) {
    round();
  }
  const std::size_t n = count.stop().allocations;
  poster.join();
  EXPECT_EQ(n, 0U);
  EXPECT_EQ(ran, kRounds * kBatch);
}

TEST(Allocation, DeferringSmallTasksDoesNotAllocate) {
  eddy::Loop loop;
  std::size_t ran = 0;
  auto round = [&] {
    for (std::size_t i = 0; i < kBatch; ++i) {
      loop.defer([&ran] { ++ran; });
    }
    loop.defer([&] { loop.defer([&ran] { ++ran; }); });  // runs in the next iteration
    loop.run_once(0ns);
    loop.run_once(0ns);
  };
  for (int i = 0; i < kWarmUp; ++i) {
    round();
  }
  ran = 0;
  CountAllocations count;
  for (int i = 0; i < kRounds; ++i) {
    round();
  }
  const std::size_t n = count.stop().allocations;
  EXPECT_EQ(n, 0U);
  EXPECT_EQ(ran, kRounds * (kBatch + 1));
}

TEST(Allocation, CallbacksThatPostAndDeferDoNotAllocate) {
  eddy::Loop loop;
  Pipe pipe;
  pipe.write_byte();
  std::size_t ran = 0;
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [&](unsigned) {
    loop.post([&ran] { ++ran; });
    loop.defer([&ran] { ++ran; });
  });
  watcher.start(eddy::kReadable);
  for (int i = 0; i < kWarmUp; ++i) {
    loop.run_once(0ns);
  }
  ran = 0;
  CountAllocations count;
  for (int i = 0; i < kRounds; ++i) {
    loop.run_once(0ns);
  }
  const std::size_t n = count.stop().allocations;
  EXPECT_EQ(n, 0U);
  EXPECT_EQ(ran, 2U * kRounds);
}

}  // namespace
