#include "support/backend.hpp"
#include "support/pipe.hpp"
#include "support/run_until.hpp"
#include "support/watchdog.hpp"

#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>
#include <eddy/timer.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::Clock;
using eddy::test::Pipe;
using eddy::test::run_until;
using eddy::test::Watchdog;

TEST(Loop, RunsTimersThenIoThenPostedThenDeferredInOneIteration) {
  eddy::Loop loop;
  Pipe pipe;
  std::vector<std::string> order;
  eddy::Timer timer(loop, [&] { order.emplace_back("timer"); });
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [&](unsigned) {
    order.emplace_back("io");
    pipe.drain();
  });

  // Arranged in the reverse of the dispatch order, so that the order below
  // cannot come from the order of arrangement.
  loop.defer([&] { order.emplace_back("defer"); });
  loop.post([&] { order.emplace_back("post"); });
  pipe.write_byte();
  watcher.start(eddy::kReadable);
  timer.start(0ns);

  loop.run_once(0ns);
  EXPECT_EQ(order, (std::vector<std::string>{"timer", "io", "post", "defer"}));
  watcher.stop();
}

TEST(Loop, RunReturnsAtOnceWhenNothingIsActive) {
  eddy::Loop loop;
  EXPECT_EQ(loop.active_count(), 0U);
  Watchdog watchdog(loop);
  loop.run();
}

TEST(Loop, RunReturnsWhenTheLastWatcherStops) {
  eddy::Loop loop;
  Pipe pipe;  // never written: the watcher is never called
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [](unsigned) { FAIL() << "nothing was written"; });
  bool fired = false;
  eddy::Timer timer(loop, [&] {
    fired = true;
    watcher.stop();
  });
  watcher.start(eddy::kReadable);
  timer.start(1ms);
  {
    Watchdog watchdog(loop);
    loop.run();
  }
  EXPECT_TRUE(fired);
  EXPECT_FALSE(watcher.is_active());
  EXPECT_EQ(loop.active_count(), 0U);
}

TEST(Loop, StopInsideCallbackEndsRunAfterTheCurrentIteration) {
  eddy::Loop loop;
  int ticks = 0;
  bool posted_ran = false;
  bool deferred_ran = false;
  eddy::Timer timer(loop, [&] {
    if (++ticks == 3) {
      loop.stop();
      // The rest of the iteration still runs.
      loop.post([&] { posted_ran = true; });
      loop.defer([&] { deferred_ran = true; });
    }
  });
  timer.start(1ms, 1ms);
  {
    Watchdog watchdog(loop);
    loop.run();
  }
  EXPECT_EQ(ticks, 3);
  EXPECT_TRUE(posted_ran);
  EXPECT_TRUE(deferred_ran);
  EXPECT_TRUE(timer.is_active());
  timer.stop();
}

TEST(Loop, StopBeforeRunMakesRunDoOneNonBlockingIteration) {
  eddy::Loop loop;
  Pipe pipe;  // never written
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [](unsigned) { FAIL() << "nothing was written"; });
  eddy::Timer timer(loop, [] { FAIL() << "an hour has not passed"; });
  watcher.start(eddy::kReadable);
  timer.start(1h);
  // Nothing is ready and nothing is pending: only the stop request can keep
  // the wait from blocking for an hour.
  loop.stop();
  {
    Watchdog watchdog(loop);
    loop.run();
  }
  EXPECT_TRUE(watcher.is_active());
  EXPECT_TRUE(timer.is_active());

  // The one iteration does run: a deferred task (which makes the wait zero
  // by itself) shows it.
  int deferred_runs = 0;
  loop.defer([&] { ++deferred_runs; });
  loop.stop();
  {
    Watchdog watchdog(loop);
    loop.run();
  }
  EXPECT_EQ(deferred_runs, 1);
}

TEST(Loop, StopRequestIsConsumedByTheRunItEnds) {
  eddy::Loop loop;
  loop.stop();
  {
    Watchdog watchdog(loop);
    loop.run();  // nothing active: returns at once
  }
  bool fired = false;
  eddy::Timer timer(loop, [&] { fired = true; });
  timer.start(1ms);
  {
    Watchdog watchdog(loop);
    loop.run();  // must not return before the timer fires
  }
  EXPECT_TRUE(fired);
}

TEST(Loop, RunOnceWithTimeoutWaitsAtLeastThatLongWhenNothingIsReady) {
  eddy::Loop loop;
  for (const eddy::Duration timeout : {eddy::Duration(1ms), eddy::Duration(20ms)}) {
    const auto start = Clock::now();
    EXPECT_FALSE(loop.run_once(timeout));
    EXPECT_GE(Clock::now() - start, timeout);
  }
  Pipe pipe;  // an active watcher that is never ready
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [](unsigned) { FAIL() << "nothing was written"; });
  watcher.start(eddy::kReadable);
  const auto start = Clock::now();
  EXPECT_TRUE(loop.run_once(20ms));
  EXPECT_GE(Clock::now() - start, 20ms);
}

TEST(Loop, NowIsCachedWithinAnIterationAndAdvancesAcrossIterations) {
  eddy::Loop loop;
  const auto before = Clock::now();
  loop.run_once(0ns);
  const auto first = loop.now();
  EXPECT_GE(first, before);

  bool called = false;
  eddy::Timer timer(loop, [&] {
    called = true;
    const auto seen = loop.now();
    std::this_thread::sleep_for(2ms);  // let the clock move on
    EXPECT_EQ(loop.now(), seen);
    EXPECT_LT(loop.now(), Clock::now());
  });
  timer.start(0ns);
  ASSERT_TRUE(run_until(loop, [&] { return called; }));
  const auto second = loop.now();
  EXPECT_GT(second, first);
  loop.run_once(1ms);
  EXPECT_GT(loop.now(), second);
}

TEST(Loop, BackendNameFollowsTheEnvironmentAndOptions) {
  {
    eddy::Loop loop;
    EXPECT_EQ(loop.backend_name(), eddy::test::expected_backend_name());
  }
  for (const char* name : {"epoll", "poll"}) {
    eddy::Loop loop(eddy::LoopOptions{name});
    EXPECT_EQ(loop.backend_name(), name);
  }
  {
    const eddy::test::ScopedEnv unset("EDDY_BACKEND", std::nullopt);
    eddy::Loop loop;
    EXPECT_EQ(loop.backend_name(), "epoll");
  }
}

TEST(Loop, UnknownBackendInOptionsThrowsInvalidArgumentNamingIt) {
  try {
    eddy::Loop loop(eddy::LoopOptions{"kqueue"});
    FAIL() << "no exception for an unknown backend";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("kqueue"), std::string::npos) << what;
    EXPECT_NE(what.find("epoll, poll"), std::string::npos) << what;
  }
}

TEST(Loop, UnknownBackendInEnvironmentThrowsInvalidArgumentNamingIt) {
  const eddy::test::ScopedEnv bogus("EDDY_BACKEND", "io_uring_or_so");
  try {
    eddy::Loop loop;
    FAIL() << "no exception for an unknown EDDY_BACKEND";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("io_uring_or_so"), std::string::npos) << what;
    EXPECT_NE(what.find("epoll, poll"), std::string::npos) << what;
  }
}

TEST(Loop, DeferInsideDeferredTaskRunsInTheNextIterationWithoutBlocking) {
  eddy::Loop loop;
  bool first = false;
  bool second = false;
  loop.defer([&] {
    first = true;
    loop.defer([&] { second = true; });
  });
  loop.run_once(0ns);
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  {
    Watchdog watchdog(loop);
    loop.run_once();  // no timeout: the pending deferred task must make the wait zero
  }
  EXPECT_TRUE(second);
}

TEST(Loop, RunFromInsideCallbackThrowsLogicError) {
  eddy::Loop loop;
  bool called = false;
  eddy::Timer timer(loop, [&] {
    called = true;
    EXPECT_THROW(loop.run(), std::logic_error);
    EXPECT_THROW(loop.run_once(0ns), std::logic_error);
  });
  timer.start(0ns);
  ASSERT_TRUE(run_until(loop, [&] { return called; }));
  // The refused calls left the loop usable.
  bool later = false;
  loop.post([&] { later = true; });
  ASSERT_TRUE(run_until(loop, [&] { return later; }));
}

TEST(Loop, ActiveCountCountsWatchersAndPendingTasks) {
  eddy::Loop loop;
  EXPECT_EQ(loop.active_count(), 0U);
  eddy::Timer timer(loop, [] {});
  timer.start(1h);
  EXPECT_EQ(loop.active_count(), 1U);
  loop.post([] {});
  loop.defer([] {});
  EXPECT_EQ(loop.active_count(), 3U);
  EXPECT_TRUE(loop.run_once(0ns));
  EXPECT_EQ(loop.active_count(), 1U);
  timer.stop();
  EXPECT_EQ(loop.active_count(), 0U);
  EXPECT_FALSE(loop.run_once(0ns));
}

// loop.hpp: "Number of active user watchers plus pending posted/deferred
// tasks": each pending task counts, not just the fact that some are pending.
TEST(Loop, ActiveCountCountsEveryPendingPostedAndDeferredTask) {
  eddy::Loop loop;
  for (int i = 0; i < 3; ++i) {
    loop.post([] {});
  }
  for (int i = 0; i < 2; ++i) {
    loop.defer([] {});
  }
  EXPECT_EQ(loop.active_count(), 5U);
  loop.run_once(0ns);
  EXPECT_EQ(loop.active_count(), 0U);
}

// docs/loop.md: "An exception thrown by a callback propagates out of run();
// the loop stays consistent, and the rest of a batch of posted or deferred
// tasks runs on the next iteration."
TEST(Loop, ExceptionFromPostedTaskPropagatesAndTheRestOfTheBatchRunsNextIteration) {
  eddy::Loop loop;
  std::vector<int> ran;
  loop.post([&] { ran.push_back(1); });
  loop.post([&] {
    ran.push_back(2);
    throw std::runtime_error("task 2 fails");
  });
  loop.post([&] { ran.push_back(3); });
  EXPECT_THROW(loop.run_once(0ns), std::runtime_error);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_NO_THROW(loop.run_once(0ns));
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
}

TEST(Loop, ExceptionFromTimerCallbackPropagatesOutOfRunAndRunWorksAgain) {
  eddy::Loop loop;
  eddy::Timer failing(loop, [] { throw std::runtime_error("timer fails"); });
  bool later = false;
  eddy::Timer second(loop, [&] { later = true; });
  failing.start(0ns);
  {
    Watchdog watchdog(loop);
    EXPECT_THROW(loop.run(), std::runtime_error);
  }
  second.start(1ms);
  {
    Watchdog watchdog(loop);
    EXPECT_NO_THROW(loop.run());
  }
  EXPECT_TRUE(later);
}

TEST(Loop, DestroyingLoopWithActiveWatcherAbortsInCheckedBuilds) {
  if (!eddy::thread_checks_enabled()) {
    GTEST_SKIP() << "this build does not check watcher lifetimes";
  }
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto loop = std::make_unique<eddy::Loop>();
        eddy::Timer timer(*loop, [] {});
        timer.start(1h);
        loop.reset();
      },
      "Loop destroyed while 1 watcher");
}

}  // namespace
