// Timer ordering: timers due together fire in deadline order, ties in
// start order, and the heap keeps that order through mass starts, stops and
// restarts.
#include "support/run_until.hpp"

#include <eddy/clock.hpp>
#include <eddy/loop.hpp>
#include <eddy/timer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::TimePoint;
using eddy::test::run_until;

// Indices of `due` sorted by deadline, ties kept in start (index) order:
// the order the contract says the timers fire in.
std::vector<std::size_t> deadline_order(const std::vector<TimePoint>& due) {
  std::vector<std::size_t> order(due.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return due[a] < due[b]; });
  return order;
}

TEST(Timer, TimersDueInTheSameIterationFireInDeadlineOrderWhateverTheStartOrder) {
  eddy::Loop loop;
  // Started in this order; 10 ms apart, so that the deadlines keep the order
  // of the timeouts even if starting them is slow.
  const std::array<int, 8> timeouts_ms{50, 10, 70, 30, 80, 20, 60, 40};
  std::vector<std::optional<eddy::Timer>> timers(timeouts_ms.size());
  std::vector<std::size_t> fired;
  std::vector<TimePoint> due(timers.size());
  for (std::size_t i = 0; i < timers.size(); ++i) {
    timers[i].emplace(loop, [&fired, i] { fired.push_back(i); });
    timers[i]->start(std::chrono::milliseconds(timeouts_ms[i]));
    due[i] = timers[i]->due();  // meaningful only while active: record it now
  }
  // Let every deadline pass, so that one iteration finds all of them due and
  // the order comes from the heap, not from the passing of time.
  std::this_thread::sleep_until(*std::max_element(due.begin(), due.end()) + 1ms);
  loop.run_once(0ns);
  ASSERT_EQ(fired.size(), timers.size());
  EXPECT_EQ(fired, deadline_order(due));
  EXPECT_EQ(fired, (std::vector<std::size_t>{1, 5, 3, 7, 0, 6, 2, 4})) << "deadlines out of timeout order";
}

TEST(Timer, EqualTimeoutsStartedInARowFireInStartOrder) {
  eddy::Loop loop;
  constexpr std::size_t kCount = 16;
  std::vector<std::optional<eddy::Timer>> timers(kCount);
  std::vector<std::size_t> fired;
  TimePoint last_due;
  for (std::size_t i = 0; i < kCount; ++i) {
    timers[i].emplace(loop, [&fired, i] { fired.push_back(i); });
    timers[i]->start(1ms);
    last_due = timers[i]->due();
  }
  std::this_thread::sleep_until(last_due + 1ms);
  loop.run_once(0ns);
  std::vector<std::size_t> expected(kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    expected[i] = i;
  }
  EXPECT_EQ(fired, expected);
}

// refresh() computes the deadline from the cached loop.now(), so timers
// refreshed in a row get exactly equal deadlines; refreshing an inactive
// timer starts it, so they must fire in refresh order.
TEST(Timer, EqualDeadlinesFireInStartOrder) {
  eddy::Loop loop;
  constexpr std::size_t kCount = 8;
  std::vector<std::optional<eddy::Timer>> timers(kCount);
  std::vector<std::size_t> fired;
  for (std::size_t i = 0; i < kCount; ++i) {
    timers[i].emplace(loop, [&fired, i] { fired.push_back(i); });
    timers[i]->start(1ms);  // sets the timeout that refresh() uses
    timers[i]->stop();
  }
  const std::vector<std::size_t> start_order{5, 2, 7, 0, 3, 6, 1, 4};
  for (const std::size_t i : start_order) {
    timers[i]->refresh();
  }
  for (const std::size_t i : start_order) {
    ASSERT_EQ(timers[i]->due(), timers[start_order[0]]->due());
  }
  std::this_thread::sleep_until(timers[0]->due() + 1ms);
  loop.run_once(0ns);
  EXPECT_EQ(fired, start_order);
}

TEST(Timer, HundredThousandRandomTimersEachFireOnceInDeadlineOrder) {
  eddy::Loop loop;
  constexpr std::size_t kCount = 100'000;
  std::mt19937 random(20261126);
  std::uniform_int_distribution<std::int64_t> timeout_us(0, 50'000);
  std::vector<std::optional<eddy::Timer>> timers(kCount);
  std::vector<TimePoint> due(kCount);
  std::vector<std::size_t> fired;
  fired.reserve(kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    timers[i].emplace(loop, [&fired, i] { fired.push_back(i); });
    timers[i]->start(std::chrono::microseconds(timeout_us(random)));
    due[i] = timers[i]->due();
  }
  ASSERT_TRUE(run_until(loop, [&] { return fired.size() >= kCount; }, 30s));
  loop.run_once(1ms);
  ASSERT_EQ(fired.size(), kCount);
  std::vector<int> times_fired(kCount);
  for (const std::size_t i : fired) {
    ++times_fired[i];
  }
  EXPECT_EQ(std::count(times_fired.begin(), times_fired.end(), 1), static_cast<std::ptrdiff_t>(kCount));
  std::size_t out_of_order = 0;
  for (std::size_t k = 1; k < kCount; ++k) {
    if (due[fired[k]] < due[fired[k - 1]]) {
      ++out_of_order;
    }
  }
  EXPECT_EQ(out_of_order, 0U) << "timers fired before an earlier deadline";
  EXPECT_EQ(loop.active_count(), 0U);
}

// Stopping or restarting timers in the middle of the heap moves entries up
// as well as down; a heap that only sifts one way fires out of order.
TEST(Timer, StoppingAndRestartingRandomTimersKeepsTheRestInDeadlineOrder) {
  eddy::Loop loop;
  constexpr std::size_t kCount = 20'000;
  std::mt19937 random(42);
  std::uniform_int_distribution<std::int64_t> timeout_us(0, 30'000);
  std::vector<std::optional<eddy::Timer>> timers(kCount);
  std::vector<TimePoint> due(kCount);
  std::vector<bool> stopped(kCount, false);
  std::vector<std::size_t> fired;
  for (std::size_t i = 0; i < kCount; ++i) {
    timers[i].emplace(loop, [&fired, i] { fired.push_back(i); });
    timers[i]->start(std::chrono::microseconds(timeout_us(random)));
  }
  std::uniform_int_distribution<int> action(0, 2);
  for (std::size_t i = 0; i < kCount; ++i) {
    switch (action(random)) {
      case 0:
        timers[i]->stop();
        stopped[i] = true;
        break;
      case 1:
        timers[i]->start(std::chrono::microseconds(timeout_us(random)));
        break;
      default:
        break;
    }
  }
  std::size_t expected = 0;
  for (std::size_t i = 0; i < kCount; ++i) {
    if (!stopped[i]) {
      due[i] = timers[i]->due();
      ++expected;
    }
  }
  ASSERT_TRUE(run_until(loop, [&] { return fired.size() >= expected; }, 30s));
  loop.run_once(1ms);
  ASSERT_EQ(fired.size(), expected);
  std::size_t stopped_fired = 0;
  std::size_t out_of_order = 0;
  for (std::size_t k = 0; k < fired.size(); ++k) {
    if (stopped[fired[k]]) {
      ++stopped_fired;
    }
    if (k > 0 && due[fired[k]] < due[fired[k - 1]]) {
      ++out_of_order;
    }
  }
  EXPECT_EQ(stopped_fired, 0U);
  EXPECT_EQ(out_of_order, 0U);
}

}  // namespace
