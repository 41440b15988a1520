// IoWatcher interest modifiers: kPeerClosed (the peer's FIN, reported even
// with unread data queued), kEdgeTriggered (epoll only; poll stays
// level-triggered) and kExclusive (one fd watched by several loops).
#include "support/pipe.hpp"
#include "support/run_until.hpp"
#include "support/socket_pair.hpp"

#include <eddy/io_events.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::kEdgeTriggered;
using eddy::kExclusive;
using eddy::kPeerClosed;
using eddy::kReadable;
using eddy::kWritable;
using eddy::test::Pipe;
using eddy::test::run_until;
using eddy::test::SocketPair;

TEST(IoWatcherModes, PeerClosedIsReportedWhileDataIsUnread) {
  eddy::Loop loop;
  SocketPair pair;
  std::vector<unsigned> seen;
  eddy::IoWatcher watcher(loop, pair.first(), [&](unsigned events) {
    seen.push_back(events);
    watcher.stop();
  });
  watcher.start(kPeerClosed);
  ASSERT_EQ(::write(pair.second(), "abc", 3), 3);
  loop.run_once(10ms);
  EXPECT_TRUE(seen.empty()) << "data alone is not a close";

  ASSERT_EQ(::shutdown(pair.second(), SHUT_WR), 0);
  ASSERT_TRUE(run_until(loop, [&] { return !seen.empty(); }));
  EXPECT_EQ(seen.front() & (kPeerClosed | kReadable), kPeerClosed)
      << "only what was asked for is reported, and readability was not";
}

TEST(IoWatcherModes, ReadableWatcherIsNotToldPeerClosedUnlessAsked) {
  eddy::Loop loop;
  SocketPair pair;
  unsigned seen = 0;
  eddy::IoWatcher watcher(loop, pair.first(), [&](unsigned events) {
    seen = events;
    watcher.stop();
  });
  watcher.start(kReadable);
  ASSERT_EQ(::shutdown(pair.second(), SHUT_WR), 0);
  ASSERT_TRUE(run_until(loop, [&] { return seen != 0; }));
  EXPECT_EQ(seen & kPeerClosed, 0U);
  EXPECT_NE(seen & kReadable, 0U) << "the FIN makes the socket readable";
}

TEST(IoWatcherModes, EdgeTriggeredReportsNewDataOnce) {
  eddy::Loop loop;
  Pipe pipe;
  int calls = 0;
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [&](unsigned) { ++calls; });  // never drains
  watcher.start(kReadable | kEdgeTriggered);
  EXPECT_EQ(watcher.events(), kReadable | kEdgeTriggered);
  pipe.write_byte();
  ASSERT_TRUE(run_until(loop, [&] { return calls > 0; }));
  for (int i = 0; i < 3; ++i) {
    loop.run_once(5ms);
  }
  if (loop.backend_name() != "poll") {
    EXPECT_EQ(calls, 1) << "undrained data is not reported again";
    pipe.write_byte();
    ASSERT_TRUE(run_until(loop, [&] { return calls == 2; }));
  } else {
    EXPECT_EQ(calls, 4) << "poll has no edge mode: the watcher stays level-triggered";
  }
  watcher.stop();
}

TEST(IoWatcherModes, EdgeTriggeredAloneIsNoInterest) {
  eddy::Loop loop;
  Pipe pipe;
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [](unsigned) {});
  watcher.start(kEdgeTriggered);
  EXPECT_FALSE(watcher.is_active());
}

// epoll refuses EPOLL_CTL_MOD of an EPOLLEXCLUSIVE registration (EINVAL):
// the loop registers it anew instead, in both directions.
TEST(IoWatcherModes, ExclusiveInterestChangesLikeAnyOther) {
  eddy::Loop loop;
  SocketPair pair;
  ASSERT_EQ(::write(pair.second(), "x", 1), 1);  // first() is readable and writable
  std::vector<unsigned> seen;
  eddy::IoWatcher watcher(loop, pair.first(), [&](unsigned events) { seen.push_back(events); });
  const unsigned interests[] = {kReadable | kExclusive, kWritable | kExclusive, kReadable, kReadable | kExclusive,
                                kReadable | kWritable | kExclusive};
  for (const unsigned interest : interests) {
    watcher.start(interest);
    EXPECT_EQ(watcher.events(), interest);
    seen.clear();
    ASSERT_TRUE(run_until(loop, [&] { return !seen.empty(); })) << "interest " << interest;
    EXPECT_EQ(seen.front(), interest & ~kExclusive) << "interest " << interest;
  }
  watcher.stop();
  EXPECT_FALSE(watcher.is_active());
}

// Two loops watching one pipe with kExclusive: each sees it readable (the
// modifier changes whom a wakeup goes to, not what is reported), and a
// watcher's stop leaves the other's registration alone.
TEST(IoWatcherModes, ExclusiveWatchersOnTwoLoopsBothWorkAndStopIndependently) {
  eddy::Loop first_loop;
  eddy::Loop second_loop;
  Pipe pipe;
  int first_calls = 0;
  int second_calls = 0;
  eddy::IoWatcher first(first_loop, pipe.read_fd(), [&](unsigned) { ++first_calls; });
  eddy::IoWatcher second(second_loop, pipe.read_fd(), [&](unsigned) { ++second_calls; });
  first.start(kReadable | kExclusive);
  second.start(kReadable | kExclusive);
  pipe.write_byte();
  ASSERT_TRUE(run_until(first_loop, [&] { return first_calls > 0; }));
  ASSERT_TRUE(run_until(second_loop, [&] { return second_calls > 0; }));
  first.stop();
  second_calls = 0;
  ASSERT_TRUE(run_until(second_loop, [&] { return second_calls > 0; }));
  second.stop();
}

}  // namespace
