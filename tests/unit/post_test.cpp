#include "support/pipe.hpp"
#include "support/run_until.hpp"
#include "support/watchdog.hpp"

#include <eddy/io_events.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>
#include <eddy/timer.hpp>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <numeric>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::test::Pipe;
using eddy::test::run_until;
using eddy::test::Watchdog;

TEST(Post, TasksFromFourThreadsRunOnceEachInPerThreadOrder) {
  eddy::Loop loop;
  constexpr std::size_t kThreads = 4;
  constexpr std::size_t kPerThread = 100'000;
  // Touched only by tasks, which run on the loop's thread.
  std::array<std::size_t, kThreads> next{};
  std::size_t out_of_order = 0;
  std::size_t total = 0;
  const std::thread::id loop_thread = std::this_thread::get_id();
  std::size_t wrong_thread = 0;

  std::vector<std::thread> producers;
  for (std::size_t t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (std::size_t seq = 0; seq < kPerThread; ++seq) {
        loop.post([&next, &out_of_order, &total, &wrong_thread, loop_thread, t, seq] {
          if (seq != next[t]) {
            ++out_of_order;  // lost, duplicated or reordered
          }
          next[t] = seq + 1;
          ++total;
          if (std::this_thread::get_id() != loop_thread) {
            ++wrong_thread;
          }
        });
      }
    });
  }
  const bool done = run_until(loop, [&] { return total >= kThreads * kPerThread; }, 60s);
  for (std::thread& producer : producers) {
    producer.join();
  }
  ASSERT_TRUE(done) << total << " of " << kThreads * kPerThread << " tasks ran";
  loop.run_once(0ns);
  EXPECT_EQ(total, kThreads * kPerThread) << "duplicated tasks";
  EXPECT_EQ(out_of_order, 0U);
  EXPECT_EQ(wrong_thread, 0U);
  for (std::size_t t = 0; t < kThreads; ++t) {
    EXPECT_EQ(next[t], kPerThread) << "thread " << t;
  }
  EXPECT_EQ(loop.active_count(), 0U);
}

TEST(Post, PostFromAnotherThreadWakesALoopBlockedWithoutTimeout) {
  eddy::Loop loop;
  bool ran = false;
  std::thread poster([&loop, &ran] {
    // Not synchronisation: a head start so that the loop is most likely
    // already blocked when the post arrives (the test passes either way).
    std::this_thread::sleep_for(20ms);
    loop.post([&ran] { ran = true; });
  });
  {
    Watchdog watchdog(loop);
    loop.run_once();  // no timeout and nothing active: only the post can end the wait
  }
  poster.join();
  EXPECT_TRUE(ran);
}

TEST(Post, RunKeepsGoingWhilePostedTasksArePending) {
  eddy::Loop loop;
  int chain = 0;
  // A task that posts its successor: run() must not return between them,
  // although no watcher is active.
  std::function<void()> step;
  step = [&] {
    if (++chain < 100) {
      loop.post([&] { step(); });
    }
  };
  loop.post([&] { step(); });
  {
    Watchdog watchdog(loop);
    loop.run();
  }
  EXPECT_EQ(chain, 100);
}

TEST(Post, RunKeepsGoingForAPostFromAnotherThreadWhileATimerIsActive) {
  eddy::Loop loop;
  std::atomic<bool> posted{false};
  bool ran = false;
  eddy::Timer guard(loop, [&] {
    if (ran) {
      guard.stop();
    }
  });
  guard.start(1ms, 1ms);
  std::thread poster([&] {
    loop.post([&] { ran = true; });
    posted = true;
  });
  {
    Watchdog watchdog(loop);
    loop.run();
  }
  poster.join();
  EXPECT_TRUE(posted);
  EXPECT_TRUE(ran);
}

// The loop takes the posted queue after the I/O phase, so a task posted from
// a timer or I/O callback runs in the same iteration; one posted from a
// posted task waits for the next iteration (docs/loop.md, steps 4 to 6).
TEST(Post, PostFromTimerOrIoCallbackRunsInTheSameIteration) {
  eddy::Loop loop;
  Pipe pipe;
  pipe.write_byte();
  std::vector<const char*> order;
  eddy::Timer timer(loop, [&] { loop.post([&] { order.push_back("posted by timer"); }); });
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [&](unsigned) {
    pipe.drain();
    loop.post([&] { order.push_back("posted by io"); });
  });
  watcher.start(eddy::kReadable);
  timer.start(0ns);
  std::this_thread::sleep_until(timer.due() + 1ms);
  loop.run_once(0ns);
  EXPECT_EQ(order, (std::vector<const char*>{"posted by timer", "posted by io"}));
  watcher.stop();
}

TEST(Post, PostFromAPostedTaskRunsInTheNextIteration) {
  eddy::Loop loop;
  bool inner = false;
  loop.post([&] { loop.post([&] { inner = true; }); });
  loop.run_once(0ns);
  EXPECT_FALSE(inner);
  {
    Watchdog watchdog(loop);
    loop.run_once();  // the pending post makes the wait zero
  }
  EXPECT_TRUE(inner);
}

TEST(Post, TasksPostedFromTheLoopThreadRunInOrder) {
  eddy::Loop loop;
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) {
    loop.post([&order, i] { order.push_back(i); });
  }
  loop.run_once(0ns);
  std::vector<int> expected(10);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(order, expected);
}

TEST(Post, LargeCallableIsPostedAndRunsOnce) {
  eddy::Loop loop;
  std::array<std::size_t, 32> payload{};  // 256 bytes: stored on the heap
  std::iota(payload.begin(), payload.end(), std::size_t{1});
  std::size_t sum = 0;
  int calls = 0;
  eddy::Loop::Task task([payload, &sum, &calls] {
    ++calls;
    sum = std::accumulate(payload.begin(), payload.end(), std::size_t{0});
  });
  ASSERT_FALSE(task.is_inline());
  std::thread poster([&] { loop.post(std::move(task)); });
  poster.join();
  ASSERT_TRUE(run_until(loop, [&] { return calls != 0; }));
  loop.run_once(0ns);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(sum, 32U * 33U / 2U);
}

TEST(Post, MoveOnlyCaptureIsPostedAndDestroyedAfterRunning) {
  eddy::Loop loop;
  auto value = std::make_unique<int>(42);
  std::weak_ptr<int> watch;
  auto shared = std::make_shared<int>(7);
  watch = shared;
  int seen = 0;
  loop.post([value = std::move(value), shared = std::move(shared), &seen] { seen = *value + *shared; });
  loop.run_once(0ns);
  EXPECT_EQ(seen, 49);
  EXPECT_TRUE(watch.expired()) << "the task's captures outlived its run";
}

TEST(Post, PendingTasksAreDestroyedWithTheLoopWithoutRunning) {
  auto shared = std::make_shared<int>(1);
  std::weak_ptr<int> watch = shared;
  bool ran = false;
  {
    eddy::Loop loop;
    loop.post([shared = std::move(shared), &ran] { ran = true; });
  }
  EXPECT_FALSE(ran);
  EXPECT_TRUE(watch.expired());
}

}  // namespace
