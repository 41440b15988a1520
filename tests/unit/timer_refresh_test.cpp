// Timer::refresh(): the idle-timeout path that moves a deadline later
// without touching the heap.
#include "support/pipe.hpp"
#include "support/run_until.hpp"
#include "support/watchdog.hpp"

#include <eddy/clock.hpp>
#include <eddy/io_events.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>
#include <eddy/timer.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

namespace {

using namespace std::chrono_literals;
using eddy::Clock;
using eddy::Duration;
using eddy::TimePoint;
using eddy::test::Pipe;
using eddy::test::run_until;
using eddy::test::Watchdog;

constexpr Duration kIdle = 60ms;
constexpr Duration kActivityPeriod = 2ms;
constexpr int kRefreshes = 40;  // refreshing lasts well beyond kIdle

// Refreshing must keep the idle timer from firing: whenever it fires, at
// least kIdle has passed since the last refresh (measured against the
// loop.now() that refresh() reads). Once refreshing stops it fires, after
// the last refresh. No upper bound on timing is asserted: a stalled machine
// may let the idle timer fire legitimately between two refreshes.
struct IdleRecord {
  std::optional<TimePoint> last_refresh;
  int fired = 0;
  TimePoint last_fired;

  void on_refresh(TimePoint now) { last_refresh = now; }
  void on_fire(TimePoint now) {
    ++fired;
    last_fired = now;
    ASSERT_TRUE(last_refresh.has_value());
    EXPECT_GE(now - *last_refresh, kIdle) << "the idle timer fired before its refreshed deadline";
  }
};

TEST(TimerRefresh, RefreshFromAnotherTimerKeepsAnIdleTimerFromFiring) {
  eddy::Loop loop;
  IdleRecord record;
  eddy::Timer idle(loop, [&] { record.on_fire(loop.now()); });
  int refreshes = 0;
  eddy::Timer activity(loop, [&] {
    idle.refresh();
    record.on_refresh(loop.now());
    if (++refreshes == kRefreshes) {
      activity.stop();
    }
  });
  idle.start(kIdle);
  record.on_refresh(loop.now());  // start() reads the clock, which is at or after now()
  activity.start(kActivityPeriod, kActivityPeriod);
  {
    Watchdog watchdog(loop);
    loop.run();  // returns once activity stopped and idle fired
  }
  EXPECT_EQ(refreshes, kRefreshes);
  EXPECT_GE(record.fired, 1);
  EXPECT_GE(record.last_fired - *record.last_refresh, kIdle);
  EXPECT_FALSE(idle.is_active());
}

TEST(TimerRefresh, RefreshOnEveryReadKeepsAnIdleTimerFromFiring) {
  eddy::Loop loop;
  Pipe pipe;
  IdleRecord record;
  eddy::Timer idle(loop, [&] { record.on_fire(loop.now()); });
  eddy::IoWatcher reader(loop, pipe.read_fd(), [&](unsigned) {
    pipe.drain();
    idle.refresh();
    record.on_refresh(loop.now());
  });
  int writes = 0;
  eddy::Timer writer(loop, [&] {
    pipe.write_byte();
    if (++writes == kRefreshes) {
      writer.stop();
    }
  });
  reader.start(eddy::kReadable);
  idle.start(kIdle);
  record.on_refresh(loop.now());
  writer.start(kActivityPeriod, kActivityPeriod);
  ASSERT_TRUE(run_until(loop, [&] { return writes == kRefreshes && !idle.is_active(); }));
  EXPECT_GE(record.fired, 1);
  EXPECT_GE(record.last_fired - *record.last_refresh, kIdle);
  reader.stop();
}

TEST(TimerRefresh, RefreshSetsTheDeadlineToNowPlusTimeout) {
  eddy::Loop loop;
  eddy::Timer timer(loop, [] {});
  timer.start(1h);
  loop.run_once(1ms);  // now() is this iteration's cached time, older than the clock
  timer.refresh();
  EXPECT_EQ(timer.due(), loop.now() + Duration(1h));
  EXPECT_TRUE(timer.is_active());
  timer.stop();
}

TEST(TimerRefresh, RefreshStartsAnInactiveTimer) {
  eddy::Loop loop;
  constexpr Duration kTimeout = 5ms;
  bool fired = false;
  TimePoint refreshed_at;
  eddy::Timer timer(loop, [&] {
    fired = true;
    EXPECT_GE(loop.now() - refreshed_at, kTimeout);
  });
  timer.start(kTimeout);
  timer.stop();
  loop.run_once(0ns);
  refreshed_at = loop.now();
  timer.refresh();
  EXPECT_TRUE(timer.is_active());
  EXPECT_EQ(loop.active_count(), 1U);
  ASSERT_TRUE(run_until(loop, [&] { return fired; }));
  EXPECT_FALSE(timer.is_active());
}

TEST(TimerRefresh, StoppingARefreshedTimerPreventsItFromFiring) {
  eddy::Loop loop;
  int calls = 0;
  eddy::Timer timer(loop, [&] { ++calls; });
  timer.start(5ms);
  loop.run_once(0ns);
  const int calls_before = calls;  // 0 unless this thread stalled for 5 ms
  timer.refresh();  // the deadline moves later; the heap may keep the earlier key
  timer.stop();
  EXPECT_FALSE(timer.is_active());
  EXPECT_EQ(loop.active_count(), 0U);
  std::this_thread::sleep_for(15ms);  // past both the old and the refreshed deadline
  loop.run_once(0ns);
  EXPECT_EQ(calls, calls_before);
}

TEST(TimerRefresh, RefreshedRepeatingTimerKeepsRepeating) {
  eddy::Loop loop;
  int ticks = 0;
  eddy::Timer timer(loop, [&] {
    if (++ticks == 3) {
      timer.stop();
    }
  });
  timer.start(2ms, 1ms);
  loop.run_once(0ns);
  timer.refresh();
  {
    Watchdog watchdog(loop);
    loop.run();
  }
  EXPECT_EQ(ticks, 3);
}

}  // namespace
