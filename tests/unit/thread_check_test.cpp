// Checked builds (Debug, sanitizers) abort when a loop or its watchers are
// used from a thread the loop does not belong to.
#include "support/pipe.hpp"
#include "support/run_until.hpp"

#include <eddy/io_events.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>
#include <eddy/signal_watcher.hpp>
#include <eddy/timer.hpp>

#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <thread>

namespace {

using namespace std::chrono_literals;
using eddy::test::run_until;

// Both threads are named, and the message points at the way out.
constexpr const char* kMessage = "called on thread .* but the loop belongs to thread .*use Loop::post";

class ThreadCheck : public testing::Test {
 protected:
  void SetUp() override {
    if (!eddy::thread_checks_enabled()) {
      GTEST_SKIP() << "this build does not check threads (EDDY_THREAD_CHECKS is off)";
    }
    // The statements below create threads: re-execute the binary for each
    // death test instead of forking a threaded process.
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};

TEST_F(ThreadCheck, StartingATimerFromAnotherThreadAborts) {
  EXPECT_DEATH(
      {
        eddy::Loop loop;
        eddy::Timer timer(loop, [] {});
        std::thread([&timer] { timer.start(1s); }).join();
      },
      std::string("Timer::start ") + kMessage);
}

TEST_F(ThreadCheck, StartingAnIoWatcherFromAnotherThreadAborts) {
  EXPECT_DEATH(
      {
        eddy::Loop loop;
        eddy::test::Pipe pipe;
        eddy::IoWatcher watcher(loop, pipe.read_fd(), [](unsigned) {});
        std::thread([&watcher] { watcher.start(eddy::kReadable); }).join();
      },
      std::string("IoWatcher::start ") + kMessage);
}

TEST_F(ThreadCheck, StoppingAnActiveTimerFromAnotherThreadAborts) {
  EXPECT_DEATH(
      {
        eddy::Loop loop;
        eddy::Timer timer(loop, [] {});
        timer.start(1s);
        std::thread([&timer] { timer.stop(); }).join();
      },
      std::string("Timer::stop ") + kMessage);
}

TEST_F(ThreadCheck, StartingASignalWatcherFromAnotherThreadAborts) {
  EXPECT_DEATH(
      {
        eddy::Loop loop;
        eddy::SignalWatcher watcher(loop, SIGUSR1, [](int) {});
        std::thread([&watcher] { watcher.start(); }).join();
      },
      std::string("SignalWatcher::start ") + kMessage);
}

TEST_F(ThreadCheck, DeferFromAnotherThreadAborts) {
  EXPECT_DEATH(
      {
        eddy::Loop loop;
        std::thread([&loop] { loop.defer([] {}); }).join();
      },
      std::string("Loop::defer ") + kMessage);
}

// The rules that hold in every build, checked or not.
TEST(ThreadOwnership, PostFromAnotherThreadDoesNotAbort) {
  eddy::Loop loop;
  bool ran = false;
  std::thread([&loop, &ran] { loop.post([&ran] { ran = true; }); }).join();
  ASSERT_TRUE(run_until(loop, [&] { return ran; }));
}

// "A Loop belongs to ... the one that last entered run()/run_once()": a
// loop built on one thread may be handed to another that runs it.
TEST(ThreadOwnership, ThreadThatRunsTheLoopMayUseIt) {
  eddy::Loop loop;
  bool fired = false;
  std::thread runner([&loop, &fired] {
    loop.run_once(0ns);  // claims the loop
    eddy::Timer timer(loop, [&fired] { fired = true; });
    timer.start(0ns);
    EXPECT_TRUE(run_until(loop, [&fired] { return fired; }));
  });
  runner.join();
  EXPECT_TRUE(fired);
  loop.run_once(0ns);  // and the constructing thread may take it back
}

}  // namespace
