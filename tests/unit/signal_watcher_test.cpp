#include "support/run_until.hpp"

#include <eddy/loop.hpp>
#include <eddy/signal_watcher.hpp>

#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::test::run_until;

bool is_blocked(int signo) {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, signo) == 1;
}

bool is_pending(int signo) {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, signo) == 1;
}

// Every test starts with SIGUSR1 and SIGUSR2 unblocked in this thread and
// puts the mask back afterwards, whatever the test did.
class SignalWatcherTest : public testing::Test {
 protected:
  void SetUp() override {
    pthread_sigmask(SIG_BLOCK, nullptr, &saved_mask_);
    sigset_t usr;
    sigemptyset(&usr);
    sigaddset(&usr, SIGUSR1);
    sigaddset(&usr, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &usr, nullptr);
  }
  void TearDown() override { pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr); }

 private:
  sigset_t saved_mask_{};
};

using SignalWatcher = SignalWatcherTest;

TEST_F(SignalWatcher, RaisedSignalIsDeliveredToTheCallback) {
  eddy::Loop loop;
  std::vector<int> seen;
  eddy::SignalWatcher watcher(loop, SIGUSR1, [&](int signo) { seen.push_back(signo); });
  EXPECT_FALSE(watcher.is_active());
  watcher.start();
  EXPECT_TRUE(watcher.is_active());
  EXPECT_EQ(watcher.signo(), SIGUSR1);
  EXPECT_EQ(loop.active_count(), 1U);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(loop, [&] { return !seen.empty(); }));
  EXPECT_EQ(seen, std::vector<int>{SIGUSR1});
  loop.run_once(1ms);
  EXPECT_EQ(seen.size(), 1U);
  watcher.stop();
  EXPECT_FALSE(watcher.is_active());
  EXPECT_EQ(loop.active_count(), 0U);
}

TEST_F(SignalWatcher, SignalsRaisedBeforeTheLoopReadsThemAreMerged) {
  eddy::Loop loop;
  int calls = 0;
  eddy::SignalWatcher watcher(loop, SIGUSR1, [&](int) { ++calls; });
  watcher.start();
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(loop, [&] { return calls != 0; }));
  loop.run_once(1ms);
  EXPECT_EQ(calls, 1);
}

TEST_F(SignalWatcher, TwoWatchersOnTheSameSignalAreEachCalledOncePerDelivery) {
  eddy::Loop loop;
  int first_calls = 0;
  int second_calls = 0;
  eddy::SignalWatcher first(loop, SIGUSR1, [&](int) { ++first_calls; });
  eddy::SignalWatcher second(loop, SIGUSR1, [&](int) { ++second_calls; });
  first.start();
  second.start();
  for (int round = 1; round <= 2; ++round) {
    ASSERT_EQ(::raise(SIGUSR1), 0);
    ASSERT_TRUE(run_until(loop, [&] { return first_calls == round && second_calls == round; }));
  }
  loop.run_once(1ms);
  EXPECT_EQ(first_calls, 2);
  EXPECT_EQ(second_calls, 2);
}

TEST_F(SignalWatcher, WatcherStoppedByAnotherWatchersCallbackForTheSameSignalIsNotCalled) {
  eddy::Loop loop;
  int first_calls = 0;
  int second_calls = 0;
  std::optional<eddy::SignalWatcher> first;
  std::optional<eddy::SignalWatcher> second;
  first.emplace(loop, SIGUSR1, [&](int) {
    ++first_calls;
    second->stop();
  });
  second.emplace(loop, SIGUSR1, [&](int) {
    ++second_calls;
    first->stop();
  });
  first->start();
  second->start();
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(loop, [&] { return first_calls + second_calls != 0; }));
  loop.run_once(1ms);
  EXPECT_EQ(first_calls + second_calls, 1) << "first: " << first_calls << ", second: " << second_calls;
  EXPECT_EQ(first->is_active() + second->is_active(), 1);
  EXPECT_TRUE(is_blocked(SIGUSR1)) << "one watcher is left";
}

TEST_F(SignalWatcher, WatcherDestroyedByAnotherWatchersCallbackForTheSameSignalIsNotCalled) {
  eddy::Loop loop;
  int first_calls = 0;
  int second_calls = 0;
  std::optional<eddy::SignalWatcher> first;
  std::optional<eddy::SignalWatcher> second;
  first.emplace(loop, SIGUSR1, [&](int) {
    ++first_calls;
    second.reset();
  });
  second.emplace(loop, SIGUSR1, [&](int) {
    ++second_calls;
    first.reset();
  });
  first->start();
  second->start();
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(loop, [&] { return first_calls + second_calls != 0; }));
  loop.run_once(1ms);
  EXPECT_EQ(first_calls + second_calls, 1) << "first: " << first_calls << ", second: " << second_calls;
  EXPECT_EQ(first.has_value() + second.has_value(), 1);
}

TEST_F(SignalWatcher, CallbackMayStopTheLastWatcherOfItsSignal) {
  eddy::Loop loop;
  int calls = 0;
  eddy::SignalWatcher watcher(loop, SIGUSR2, [&](int) {
    ++calls;
    watcher.stop();  // closes the loop's signalfd while it is being read
  });
  watcher.start();
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_TRUE(run_until(loop, [&] { return calls == 1; }));
  EXPECT_FALSE(is_blocked(SIGUSR2));
  EXPECT_EQ(loop.active_count(), 0U);
  // The loop is still usable, and a new watcher gets a new signalfd.
  watcher.start();
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_TRUE(run_until(loop, [&] { return calls == 2; }));
}

TEST_F(SignalWatcher, CallbackMayStopAndRestartTheLastWatcherOfItsSignal) {
  eddy::Loop loop;
  int calls = 0;
  eddy::SignalWatcher watcher(loop, SIGUSR2, [&](int) {
    ++calls;
    watcher.stop();   // the loop's signalfd closes under the read in progress...
    watcher.start();  // ...and a new one opens
  });
  watcher.start();
  for (int round = 1; round <= 3; ++round) {
    ASSERT_EQ(::raise(SIGUSR2), 0);
    ASSERT_TRUE(run_until(loop, [&] { return calls == round; }));
  }
  EXPECT_TRUE(is_blocked(SIGUSR2));
  watcher.stop();
  EXPECT_FALSE(is_blocked(SIGUSR2));
}

TEST_F(SignalWatcher, SignalSentToTheLoopThreadFromAnotherThreadIsHandledOnTheLoopThread) {
  eddy::Loop loop;
  const std::thread::id loop_thread = std::this_thread::get_id();
  const pthread_t loop_handle = pthread_self();
  int calls = 0;
  eddy::SignalWatcher watcher(loop, SIGUSR1, [&](int) {
    ++calls;
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
  });
  watcher.start();
  std::thread sender([loop_handle] { pthread_kill(loop_handle, SIGUSR1); });
  sender.join();
  ASSERT_TRUE(run_until(loop, [&] { return calls == 1; }));
}

// The documented pattern: start the watcher, then create threads, which
// inherit the blocked mask; a process-directed signal then has nowhere to
// go but the signalfd.
TEST_F(SignalWatcher, ProcessDirectedSignalFromAThreadCreatedAfterStartIsHandledOnTheLoopThread) {
  eddy::Loop loop;
  const std::thread::id loop_thread = std::this_thread::get_id();
  int calls = 0;
  eddy::SignalWatcher watcher(loop, SIGUSR2, [&](int) {
    ++calls;
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
  });
  watcher.start();
  bool sender_blocked = false;
  std::thread sender([&sender_blocked] {
    sender_blocked = is_blocked(SIGUSR2);
    ::kill(::getpid(), SIGUSR2);
  });
  sender.join();
  EXPECT_TRUE(sender_blocked) << "a thread created after start() did not inherit the blocked mask";
  ASSERT_TRUE(run_until(loop, [&] { return calls == 1; }));
}

TEST_F(SignalWatcher, MaskIsRestoredWhenTheLastWatcherGoes) {
  eddy::Loop loop;
  ASSERT_FALSE(is_blocked(SIGUSR2));
  eddy::SignalWatcher first(loop, SIGUSR2, [](int) {});
  {
    eddy::SignalWatcher second(loop, SIGUSR2, [](int) {});
    first.start();
    EXPECT_TRUE(is_blocked(SIGUSR2));
    second.start();
    first.stop();
    EXPECT_TRUE(is_blocked(SIGUSR2)) << "unblocked while a watcher remains";
  }  // the destructor stops the last watcher
  EXPECT_FALSE(is_blocked(SIGUSR2));
  first.start();
  EXPECT_TRUE(is_blocked(SIGUSR2));
  first.stop();
  EXPECT_FALSE(is_blocked(SIGUSR2));
}

TEST_F(SignalWatcher, SignalBlockedBeforeStaysBlockedAfter) {
  eddy::Loop loop;
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &usr2, nullptr);
  eddy::SignalWatcher watcher(loop, SIGUSR2, [](int) {});
  watcher.start();
  watcher.stop();
  EXPECT_TRUE(is_blocked(SIGUSR2));
  EXPECT_FALSE(is_blocked(SIGUSR1)) << "another signal's mask bit changed";
}

TEST_F(SignalWatcher, SignalPendingWhenTheLastWatcherStopsIsDiscardedNotDelivered) {
  eddy::Loop loop;
  int calls = 0;
  eddy::SignalWatcher watcher(loop, SIGUSR2, [&](int) { ++calls; });
  watcher.start();
  ASSERT_EQ(::raise(SIGUSR2), 0);  // SIGUSR2's default action would end the process
  watcher.stop();
  EXPECT_FALSE(is_pending(SIGUSR2));
  EXPECT_FALSE(is_blocked(SIGUSR2));
  loop.run_once(1ms);
  EXPECT_EQ(calls, 0);
}

TEST_F(SignalWatcher, SignalsThatCannotBeWatchedThrowInvalidArgument) {
  eddy::Loop loop;
  for (const int signo : {SIGKILL, SIGSTOP, 0, -1, 1000}) {
    eddy::SignalWatcher watcher(loop, signo, [](int) {});
    EXPECT_THROW(watcher.start(), std::invalid_argument) << "signal " << signo;
    EXPECT_FALSE(watcher.is_active());
  }
  EXPECT_EQ(loop.active_count(), 0U);
}

TEST_F(SignalWatcher, SecondLoopCannotWatchASignalTheFirstWatches) {
  eddy::Loop first_loop;
  eddy::Loop second_loop;
  int first_calls = 0;
  int second_calls = 0;
  eddy::SignalWatcher first(first_loop, SIGUSR1, [&](int) { ++first_calls; });
  eddy::SignalWatcher second(second_loop, SIGUSR1, [&](int) { ++second_calls; });
  first.start();
  EXPECT_THROW(second.start(), std::logic_error);
  EXPECT_FALSE(second.is_active());
  EXPECT_EQ(second_loop.active_count(), 0U);
  EXPECT_TRUE(is_blocked(SIGUSR1));

  // The first loop still gets the signal.
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(first_loop, [&] { return first_calls == 1; }));

  first.stop();
  EXPECT_FALSE(is_blocked(SIGUSR1));
  ASSERT_NO_THROW(second.start());
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(second_loop, [&] { return second_calls == 1; }));
  EXPECT_EQ(first_calls, 1);
  second.stop();
  EXPECT_FALSE(is_blocked(SIGUSR1));
}

}  // namespace
