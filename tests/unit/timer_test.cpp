// Timer: firing, never early, repeat, and lifetime inside callbacks.
// Ordering is in timer_order_test.cpp, refresh() in timer_refresh_test.cpp.
#include "support/run_until.hpp"
#include "support/watchdog.hpp"

#include <eddy/clock.hpp>
#include <eddy/loop.hpp>
#include <eddy/timer.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

namespace {

using namespace std::chrono_literals;
using eddy::Clock;
using eddy::Duration;
using eddy::TimePoint;
using eddy::test::run_until;
using eddy::test::Watchdog;

TEST(Timer, OneShotFiresOnceAndBecomesInactive) {
  eddy::Loop loop;
  int calls = 0;
  eddy::Timer timer(loop, [&] {
    ++calls;
    EXPECT_FALSE(timer.is_active()) << "a one-shot timer is inactive in its own callback";
  });
  EXPECT_FALSE(timer.is_active());
  timer.start(1ms);
  EXPECT_TRUE(timer.is_active());
  EXPECT_EQ(timer.timeout(), Duration(1ms));
  EXPECT_EQ(timer.repeat(), Duration::zero());
  ASSERT_TRUE(run_until(loop, [&] { return calls == 1; }));
  for (int i = 0; i < 3; ++i) {
    loop.run_once(2ms);
  }
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(timer.is_active());
  EXPECT_EQ(loop.active_count(), 0U);
}

TEST(Timer, NeverFiresEarly) {
  for (const Duration timeout : {Duration(0), Duration(100us), Duration(1ms), Duration(10ms)}) {
    // Once with the loop waiting for the deadline, once with the loop
    // polling without a wait, so that many iterations come before it.
    for (const bool busy : {false, true}) {
      eddy::Loop loop;
      bool fired = false;
      const TimePoint start = Clock::now();
      eddy::Timer timer(loop, [&] {
        fired = true;
        EXPECT_GE(Clock::now() - start, timeout);
        EXPECT_GE(loop.now() - start, timeout) << "now() of the firing iteration is before the deadline";
      });
      timer.start(timeout);
      EXPECT_GE(timer.due(), start + timeout);
      if (busy) {
        ASSERT_TRUE(run_until(loop, [&] { return fired; }, eddy::test::kDeadline, 0ns));
      } else {
        Watchdog watchdog(loop);
        loop.run();
      }
      EXPECT_TRUE(fired) << "timeout " << timeout.count() << " ns";
    }
  }
}

TEST(Timer, NegativeTimeoutCountsAsZero) {
  eddy::Loop loop;
  bool fired = false;
  eddy::Timer timer(loop, [&] { fired = true; });
  timer.start(-5ms);
  EXPECT_EQ(timer.timeout(), Duration::zero());
  ASSERT_TRUE(run_until(loop, [&] { return fired; }));
}

TEST(Timer, SubMillisecondRepeatingTimerNeverTicksEarly) {
  constexpr Duration kPeriod = 200us;
  constexpr int kTicks = 20;
  for (const bool busy : {false, true}) {
    eddy::Loop loop;
    int ticks = 0;
    const TimePoint start = Clock::now();
    eddy::Timer timer(loop, [&] {
      ++ticks;
      // Each tick is due at least one period after the previous one.
      EXPECT_GE(loop.now() - start, ticks * kPeriod) << "tick " << ticks;
      EXPECT_TRUE(timer.is_active()) << "a repeating timer stays active in its callback";
      if (ticks == kTicks) {
        timer.stop();
      }
    });
    timer.start(kPeriod, kPeriod);
    if (busy) {
      ASSERT_TRUE(run_until(loop, [&] { return ticks == kTicks; }, eddy::test::kDeadline, 0ns));
    } else {
      Watchdog watchdog(loop);
      loop.run();
    }
    EXPECT_EQ(ticks, kTicks);
  }
}

TEST(Timer, RepeatingTimerTicksUntilStoppedInsideItsCallback) {
  eddy::Loop loop;
  int ticks = 0;
  eddy::Timer timer(loop, [&] {
    if (++ticks == 5) {
      timer.stop();
      EXPECT_FALSE(timer.is_active());
    }
  });
  timer.start(1ms, 1ms);
  EXPECT_EQ(timer.repeat(), Duration(1ms));
  {
    Watchdog watchdog(loop);
    loop.run();  // returns once the timer stops
  }
  EXPECT_EQ(ticks, 5);
  for (int i = 0; i < 3; ++i) {
    loop.run_once(2ms);
  }
  EXPECT_EQ(ticks, 5);
}

TEST(Timer, RestartPushesTheDeadlineBack) {
  eddy::Loop loop;
  constexpr Duration kTimeout = 50ms;
  bool fired = false;
  TimePoint restarted_at;
  eddy::Timer timer(loop, [&] {
    fired = true;
    EXPECT_GE(Clock::now() - restarted_at, kTimeout);
    EXPECT_GE(loop.now() - restarted_at, kTimeout);
  });
  timer.start(kTimeout);
  const TimePoint first_due = timer.due();
  std::this_thread::sleep_for(5ms);
  restarted_at = Clock::now();
  timer.restart();
  EXPECT_GE(timer.due(), restarted_at + kTimeout);
  EXPECT_GE(timer.due() - first_due, Duration(5ms));
  EXPECT_EQ(loop.active_count(), 1U);
  ASSERT_TRUE(run_until(loop, [&] { return fired; }));
}

TEST(Timer, RestartRearmsAnInactiveTimerWithItsLastTimeoutAndRepeat) {
  eddy::Loop loop;
  int ticks = 0;
  eddy::Timer timer(loop, [&] {
    if (++ticks % 2 == 0) {
      timer.stop();
    }
  });
  timer.start(1ms, 1ms);
  ASSERT_TRUE(run_until(loop, [&] { return !timer.is_active(); }));
  EXPECT_EQ(ticks, 2);
  timer.restart();
  EXPECT_TRUE(timer.is_active());
  EXPECT_EQ(timer.timeout(), Duration(1ms));
  EXPECT_EQ(timer.repeat(), Duration(1ms));
  ASSERT_TRUE(run_until(loop, [&] { return !timer.is_active(); }));
  EXPECT_EQ(ticks, 4);
}

TEST(Timer, StartingAnActiveTimerReplacesItsDeadline) {
  eddy::Loop loop;
  int calls = 0;
  eddy::Timer timer(loop, [&] { ++calls; });
  timer.start(1h);
  timer.start(1ms);
  EXPECT_EQ(loop.active_count(), 1U);
  ASSERT_TRUE(run_until(loop, [&] { return calls == 1; }));
  loop.run_once(2ms);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(timer.is_active());
}

TEST(Timer, OneShotMayStartItselfAgainFromItsCallback) {
  eddy::Loop loop;
  int calls = 0;
  eddy::Timer timer(loop, [&] {
    if (++calls < 3) {
      timer.start(1ms);
    }
  });
  timer.start(1ms);
  {
    Watchdog watchdog(loop);
    loop.run();
  }
  EXPECT_EQ(calls, 3);
}

TEST(Timer, TimerStoppedByAnEarlierTimerInTheSameIterationIsNeverCalled) {
  eddy::Loop loop;
  int second_calls = 0;
  eddy::Timer second(loop, [&] { ++second_calls; });
  int first_calls = 0;
  eddy::Timer first(loop, [&] {
    ++first_calls;
    second.stop();
  });
  first.start(0ns);
  second.start(0ns);  // due no earlier than `first`, and started after it
  std::this_thread::sleep_until(second.due() + 1ms);
  loop.run_once(0ns);  // both are due in this iteration
  EXPECT_EQ(first_calls, 1);
  EXPECT_EQ(second_calls, 0);
  loop.run_once(1ms);
  EXPECT_EQ(second_calls, 0);
}

TEST(Timer, TimerDestroyedByAnEarlierTimerInTheSameIterationIsNeverCalled) {
  eddy::Loop loop;
  int second_calls = 0;
  auto second = std::make_unique<eddy::Timer>(loop, [&] { ++second_calls; });
  eddy::Timer first(loop, [&] { second.reset(); });
  first.start(0ns);
  second->start(0ns, 1ms);
  std::this_thread::sleep_until(second->due() + 1ms);
  loop.run_once(0ns);
  EXPECT_EQ(second, nullptr);
  EXPECT_EQ(second_calls, 0);
  EXPECT_EQ(loop.active_count(), 0U);
}

TEST(Timer, CallbackMayDestroyItsOwnTimer) {
  for (const Duration repeat : {Duration::zero(), Duration(1ms)}) {
    eddy::Loop loop;
    int calls = 0;
    std::unique_ptr<eddy::Timer> timer;
    timer = std::make_unique<eddy::Timer>(loop, [&calls, &timer] {
      ++calls;
      timer.reset();  // destroys this lambda: return at once
    });
    timer->start(0ns, repeat);
    {
      Watchdog watchdog(loop);
      loop.run();  // returns: the destroyed timer was the only active one
    }
    EXPECT_EQ(calls, 1) << "repeat " << repeat.count() << " ns";
    EXPECT_EQ(timer, nullptr);
  }
}

TEST(Timer, IsActiveTracksStartStopAndFiring) {
  eddy::Loop loop;
  eddy::Timer one_shot(loop, [] {});
  eddy::Timer repeating(loop, [] {});
  EXPECT_FALSE(one_shot.is_active());
  one_shot.start(0ns);
  repeating.start(0ns, 1h);
  EXPECT_TRUE(one_shot.is_active());
  EXPECT_TRUE(repeating.is_active());
  EXPECT_EQ(loop.active_count(), 2U);
  std::this_thread::sleep_until(repeating.due() + 1ms);
  loop.run_once(0ns);
  EXPECT_FALSE(one_shot.is_active()) << "a fired one-shot timer is inactive";
  EXPECT_TRUE(repeating.is_active()) << "a repeating timer stays active";
  repeating.stop();
  EXPECT_FALSE(repeating.is_active());
  repeating.stop();  // harmless when inactive
  EXPECT_EQ(loop.active_count(), 0U);
}

}  // namespace
