// How eddy-load spreads its work: --messages over the connections, and
// --rate over time.

#include "load_driver.hpp"
#include "send_schedule.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

namespace eddy_load {
namespace {

using std::chrono::milliseconds;

TEST(MessageQuota, SpreadsTheCountOverTheConnectionsExactly) {
  LoadOptions options;
  options.connections = 7;
  options.messages = 1000;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < options.connections; ++i) {
    const std::uint64_t quota = message_quota(options, i);
    EXPECT_TRUE(quota == 142 || quota == 143) << quota;
    total += quota;
  }
  EXPECT_EQ(total, 1000u);
}

TEST(MessageQuota, FewerMessagesThanConnectionsLeavesSomeIdle) {
  LoadOptions options;
  options.connections = 5;
  options.messages = 3;
  EXPECT_EQ(message_quota(options, 0), 1u);
  EXPECT_EQ(message_quota(options, 2), 1u);
  EXPECT_EQ(message_quota(options, 3), 0u);
}

TEST(MessageQuota, UnlimitedWithoutACount) {
  LoadOptions options;
  EXPECT_EQ(message_quota(options, 0), UINT64_MAX);
}

TEST(BatchCapacity, HoldsWholeMessagesAndAtLeastOne) {
  EXPECT_EQ(batch_capacity(64) % 64, 0u);
  EXPECT_GE(batch_capacity(64), 32u * 1024);
  EXPECT_EQ(batch_capacity(1 << 20), std::size_t{1} << 20);
  EXPECT_EQ(batch_capacity(1000) % 1000, 0u);
}

TEST(SendSchedule, UnthrottledMakesEveryMessageDueAtTheStart) {
  SendSchedule schedule(0, 10, 3);
  const eddy::TimePoint start = eddy::Clock::now();
  schedule.begin(start);
  EXPECT_FALSE(schedule.throttled());
  EXPECT_EQ(schedule.due(0), start);
  EXPECT_EQ(schedule.due(1000000), start);
}

TEST(SendSchedule, ConnectionsInterleaveIntoOneEvenStream) {
  // 1000 msg/s over 4 connections: one message every 1 ms in all; each
  // connection every 4 ms, connection i offset by i ms.
  const eddy::TimePoint start = eddy::Clock::now();
  for (std::size_t i = 0; i < 4; ++i) {
    SendSchedule schedule(1000, 4, i);
    schedule.begin(start);
    EXPECT_TRUE(schedule.throttled());
    for (std::uint64_t n = 0; n < 5; ++n) {
      EXPECT_EQ(schedule.due(n) - start, milliseconds(i + 4 * n)) << "connection " << i << " message " << n;
    }
  }
}

}  // namespace
}  // namespace eddy_load
