// InterruptRequest, the hand-over of a signal from the thread that reads it
// to the run: the first request counts, one that comes before the run
// listens is not lost, and once the run stops listening it is not called.

#include "interrupt_request.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <vector>

namespace eddy_load {
namespace {

TEST(LoadInterruptRequest, ARequestCallsTheListenerOnceWithItsSignal) {
  InterruptRequest interrupt;
  std::vector<int> calls;
  interrupt.listen([&calls](int signo) { calls.push_back(signo); });
  EXPECT_EQ(interrupt.signo(), 0);
  interrupt.request(SIGTERM);
  interrupt.request(SIGINT);
  EXPECT_EQ(calls, std::vector<int>{SIGTERM});
  EXPECT_EQ(interrupt.signo(), SIGTERM);
}

TEST(LoadInterruptRequest, ARequestBeforeTheListenerIsPassedOnWhenItListens) {
  InterruptRequest interrupt;
  interrupt.request(SIGINT);
  std::vector<int> calls;
  interrupt.listen([&calls](int signo) { calls.push_back(signo); });
  EXPECT_EQ(calls, std::vector<int>{SIGINT});
  interrupt.request(SIGINT);
  EXPECT_EQ(calls, std::vector<int>{SIGINT});
}

TEST(LoadInterruptRequest, AfterListeningEndsARequestIsKeptButCallsNobody) {
  InterruptRequest interrupt;
  std::vector<int> calls;
  interrupt.listen([&calls](int signo) { calls.push_back(signo); });
  interrupt.listen(nullptr);
  interrupt.request(SIGINT);
  EXPECT_TRUE(calls.empty());
  EXPECT_EQ(interrupt.signo(), SIGINT);
}

TEST(LoadInterruptRequest, SignalNamesAreTheOnesInTheReport) {
  EXPECT_STREQ(signal_name(SIGINT), "SIGINT");
  EXPECT_STREQ(signal_name(SIGTERM), "SIGTERM");
}

}  // namespace
}  // namespace eddy_load
