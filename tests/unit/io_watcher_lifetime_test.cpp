// IoWatcher lifetime rules: stopping and destroying watchers from callbacks,
// and events collected before a watcher was stopped, switched, or its fd
// reused, which must never reach the wrong watcher.
#include "support/fd_io.hpp"
#include "support/pipe.hpp"
#include "support/run_until.hpp"
#include "support/socket_pair.hpp"

#include <eddy/io_events.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::kReadable;
using eddy::kWritable;
using eddy::test::Pipe;
using eddy::test::run_until;
using eddy::test::SocketPair;

TEST(IoWatcher, StopInsideOwnCallbackPreventsFurtherCalls) {
  eddy::Loop loop;
  Pipe pipe;
  pipe.write_byte();  // never drained: the fd stays ready
  int calls = 0;
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [&](unsigned) {
    ++calls;
    watcher.stop();
    EXPECT_FALSE(watcher.is_active());
  });
  watcher.start(kReadable);
  ASSERT_TRUE(run_until(loop, [&] { return calls == 1; }));
  for (int i = 0; i < 3; ++i) {
    loop.run_once(1ms);
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loop.active_count(), 0U);
}

TEST(IoWatcher, CallbackMayDestroyItsOwnWatcher) {
  eddy::Loop loop;
  Pipe pipe;
  pipe.write_byte();  // never drained
  int calls = 0;
  std::unique_ptr<eddy::IoWatcher> watcher;
  watcher = std::make_unique<eddy::IoWatcher>(loop, pipe.read_fd(), [&calls, &watcher](unsigned) {
    ++calls;
    watcher.reset();  // destroys this lambda: nothing captured is touched below
  });
  watcher->start(kReadable);
  ASSERT_TRUE(run_until(loop, [&] { return calls == 1; }));
  EXPECT_EQ(watcher, nullptr);
  for (int i = 0; i < 3; ++i) {
    loop.run_once(1ms);
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loop.active_count(), 0U);
}

TEST(IoWatcher, CallbackMayDeleteItsOwnRawWatcher) {
  eddy::Loop loop;
  Pipe pipe;
  pipe.write_byte();
  int calls = 0;
  auto* watcher = new eddy::IoWatcher(loop, pipe.read_fd(), nullptr);
  // A heap-allocated capture (too big for inline storage) is freed by the
  // delete as well; ASan checks that nothing touches it afterwards.
  std::array<char, 128> padding{};
  watcher->set_callback([&calls, watcher, padding](unsigned) {
    calls += padding[0] + 1;
    delete watcher;
  });
  watcher->start(kReadable);
  ASSERT_TRUE(run_until(loop, [&] { return calls == 1; }));
  loop.run_once(1ms);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loop.active_count(), 0U);
}

// Two fds ready in the same iteration; whichever callback runs first stops
// the other watcher, whose event is already in the ready list.
TEST(IoWatcher, StoppedWatcherInReadyListIsNeverCalled) {
  eddy::Loop loop;
  Pipe a;
  Pipe b;
  a.write_byte();
  b.write_byte();
  int a_calls = 0;
  int b_calls = 0;
  eddy::IoWatcher watch_a(loop, a.read_fd(), nullptr);
  eddy::IoWatcher watch_b(loop, b.read_fd(), nullptr);
  watch_a.set_callback([&](unsigned) {
    ++a_calls;
    watch_b.stop();
  });
  watch_b.set_callback([&](unsigned) {
    ++b_calls;
    watch_a.stop();
  });
  watch_a.start(kReadable);
  watch_b.start(kReadable);
  loop.run_once(1s);  // both are ready: returns at once
  EXPECT_EQ(a_calls + b_calls, 1) << "a: " << a_calls << ", b: " << b_calls;
  loop.run_once(0ns);
  EXPECT_EQ(a_calls + b_calls, 2) << "the survivor is still level-triggered";
}

TEST(IoWatcher, DestroyedWatcherInReadyListIsNeverCalled) {
  eddy::Loop loop;
  Pipe a;
  Pipe b;
  a.write_byte();
  b.write_byte();
  int a_calls = 0;
  int b_calls = 0;
  auto watch_a = std::make_unique<eddy::IoWatcher>(loop, a.read_fd(), nullptr);
  auto watch_b = std::make_unique<eddy::IoWatcher>(loop, b.read_fd(), nullptr);
  watch_a->set_callback([&](unsigned) {
    ++a_calls;
    watch_b.reset();
  });
  watch_b->set_callback([&](unsigned) {
    ++b_calls;
    watch_a.reset();
  });
  watch_a->start(kReadable);
  watch_b->start(kReadable);
  loop.run_once(1s);
  EXPECT_EQ(a_calls + b_calls, 1) << "a: " << a_calls << ", b: " << b_calls;
  EXPECT_EQ((watch_a == nullptr) + (watch_b == nullptr), 1);
  EXPECT_EQ(loop.active_count(), 1U);
}

// docs/loop.md: an event in the ready list of a stopped-and-restarted
// watcher carries the old generation and is dropped.
TEST(IoWatcher, WatcherStoppedAndRestartedByEarlierCallbackIsNotCalledInThatIteration) {
  eddy::Loop loop;
  Pipe a;
  Pipe b;
  a.write_byte();
  b.write_byte();
  int a_calls = 0;
  int b_calls = 0;
  eddy::IoWatcher watch_a(loop, a.read_fd(), nullptr);
  eddy::IoWatcher watch_b(loop, b.read_fd(), nullptr);
  watch_a.set_callback([&](unsigned) {
    if (++a_calls == 1 && b_calls == 0) {
      watch_b.stop();
      watch_b.start(kReadable);
    }
  });
  watch_b.set_callback([&](unsigned) {
    if (++b_calls == 1 && a_calls == 0) {
      watch_a.stop();
      watch_a.start(kReadable);
    }
  });
  watch_a.start(kReadable);
  watch_b.start(kReadable);
  loop.run_once(1s);
  EXPECT_EQ(a_calls + b_calls, 1) << "a: " << a_calls << ", b: " << b_calls;
  loop.run_once(1s);  // restarted: called again from the next iteration on
  EXPECT_EQ(a_calls, b_calls == 2 ? 1 : 2);
}

// docs/loop.md: a watcher switched from read to write in this iteration does
// not get the read event collected before the switch.
TEST(IoWatcher, WatcherSwitchedToWriteDoesNotGetTheReadEventCollectedBefore) {
  eddy::Loop loop;
  SocketPair a;
  SocketPair b;
  eddy::test::write_byte(a.second());
  eddy::test::write_byte(b.second());  // a.first() and b.first() are readable and writable
  std::vector<unsigned> a_seen;
  std::vector<unsigned> b_seen;
  eddy::IoWatcher watch_a(loop, a.first(), nullptr);
  eddy::IoWatcher watch_b(loop, b.first(), nullptr);
  watch_a.set_callback([&](unsigned events) {
    a_seen.push_back(events);
    if (b_seen.empty()) {
      watch_b.start(kWritable);
    }
  });
  watch_b.set_callback([&](unsigned events) {
    b_seen.push_back(events);
    if (a_seen.empty()) {
      watch_a.start(kWritable);
    }
  });
  watch_a.start(kReadable);
  watch_b.start(kReadable);
  loop.run_once(1s);
  ASSERT_EQ(a_seen.size() + b_seen.size(), 1U) << "the switched watcher got the collected read event";
  const bool a_first = a_seen.size() == 1;
  EXPECT_EQ(a_first ? a_seen[0] : b_seen[0], kReadable);

  loop.run_once(1s);  // now the switched watcher sees what it asked for
  const std::vector<unsigned>& switched = a_first ? b_seen : a_seen;
  ASSERT_EQ(switched.size(), 1U);
  EXPECT_EQ(switched[0], kWritable);
}

TEST(IoWatcher, WatchersStartedAndDestroyedInsideCallbacksAreEachCalledOnce) {
  eddy::Loop loop;
  constexpr std::size_t kChildren = 8;
  std::array<Pipe, kChildren> pipes;
  std::array<int, kChildren> calls{};
  std::vector<std::unique_ptr<eddy::IoWatcher>> children(kChildren);
  Pipe trigger;
  trigger.write_byte();
  eddy::IoWatcher parent(loop, trigger.read_fd(), nullptr);
  parent.set_callback([&](unsigned) {
    for (std::size_t i = 0; i < kChildren; ++i) {
      pipes[i].write_byte();
      children[i] = std::make_unique<eddy::IoWatcher>(loop, pipes[i].read_fd(), [&calls, &children, i](unsigned) {
        ++calls[i];
        children[i].reset();  // destroys this callback: return at once
      });
      children[i]->start(kReadable);
    }
    parent.stop();
  });
  parent.start(kReadable);
  ASSERT_TRUE(run_until(loop, [&] { return loop.active_count() == 0; }));
  for (int i = 0; i < 3; ++i) {
    loop.run_once(0ns);
  }
  EXPECT_EQ(calls, (std::array<int, kChildren>{1, 1, 1, 1, 1, 1, 1, 1}));
}

// A's callback stops A, closes A's fd and opens a new pipe that reuses the fd
// number, then starts B on it. B's pipe is empty: B must not be called.
TEST(IoWatcher, FdReusedInsideOwnCallbackDoesNotCallTheNewWatcher) {
  eddy::Loop loop;
  auto old_pipe = std::make_unique<Pipe>();
  old_pipe->write_byte();
  std::unique_ptr<Pipe> new_pipe;
  std::optional<eddy::IoWatcher> watch_b;
  int a_calls = 0;
  int b_calls = 0;
  bool reused = false;
  eddy::IoWatcher watch_a(loop, old_pipe->read_fd(), nullptr);
  watch_a.set_callback([&](unsigned) {
    ++a_calls;
    const int number = old_pipe->read_fd();
    watch_a.stop();
    old_pipe.reset();                      // closes the fd (the lowest free number)...
    new_pipe = std::make_unique<Pipe>();  // ...which pipe2 hands out again
    reused = new_pipe->read_fd() == number;
    watch_b.emplace(loop, new_pipe->read_fd(), [&](unsigned) { ++b_calls; });
    watch_b->start(kReadable);
  });
  watch_a.start(kReadable);
  loop.run_once(1s);
  ASSERT_EQ(a_calls, 1);
  ASSERT_TRUE(reused) << "the new pipe did not get the closed fd's number; the test proves nothing";
  EXPECT_EQ(b_calls, 0);
  loop.run_once(1ms);
  EXPECT_EQ(b_calls, 0) << "called for an fd that was never written";
  new_pipe->write_byte();
  ASSERT_TRUE(run_until(loop, [&] { return b_calls == 1; }));
}

// The stronger case: both fds are ready; whichever callback runs first
// closes the other's fd and reuses its number for a new watcher, while the
// other's event is still in the ready list.
TEST(IoWatcher, EventCollectedForAClosedFdNeverReachesTheWatcherOfItsReusedNumber) {
  eddy::Loop loop;
  std::array<std::unique_ptr<Pipe>, 2> pipes{std::make_unique<Pipe>(), std::make_unique<Pipe>()};
  pipes[0]->write_byte();
  pipes[1]->write_byte();
  std::array<std::optional<eddy::IoWatcher>, 2> watchers;
  std::unique_ptr<Pipe> new_pipe;
  std::optional<eddy::IoWatcher> newcomer;
  std::array<int, 2> calls{};
  int newcomer_calls = 0;
  bool reused = false;
  for (std::size_t i = 0; i < 2; ++i) {
    watchers[i].emplace(loop, pipes[i]->read_fd(), [&, i](unsigned) {
      ++calls[i];
      if (newcomer) {
        return;
      }
      const std::size_t other = 1 - i;
      const int number = pipes[other]->read_fd();
      watchers[other]->stop();
      pipes[other].reset();
      new_pipe = std::make_unique<Pipe>();
      reused = new_pipe->read_fd() == number;
      newcomer.emplace(loop, new_pipe->read_fd(), [&](unsigned) { ++newcomer_calls; });
      newcomer->start(kReadable);
    });
    watchers[i]->start(kReadable);
  }
  loop.run_once(1s);
  ASSERT_TRUE(reused) << "the new pipe did not get the closed fd's number; the test proves nothing";
  EXPECT_EQ(calls[0] + calls[1], 1);
  EXPECT_EQ(newcomer_calls, 0) << "the event collected for the closed fd reached the new watcher";
  loop.run_once(1ms);
  EXPECT_EQ(newcomer_calls, 0);
}

}  // namespace
