// IoWatcher: which events reach the callback, interest changes, and errors
// from start(). Lifetime rules (stop/destroy inside callbacks, stale events)
// are in io_watcher_lifetime_test.cpp.
#include "support/fd_io.hpp"
#include "support/loopback.hpp"
#include "support/pipe.hpp"
#include "support/run_until.hpp"
#include "support/socket_pair.hpp"

#include <eddy/io_events.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::kError;
using eddy::kHangup;
using eddy::kNone;
using eddy::kReadable;
using eddy::kWritable;
using eddy::test::Pipe;
using eddy::test::run_until;
using eddy::test::SocketPair;

TEST(IoWatcher, ReadableWhenPipeHasData) {
  eddy::Loop loop;
  Pipe pipe;
  std::vector<unsigned> seen;
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [&](unsigned events) {
    seen.push_back(events);
    pipe.drain();
  });
  watcher.start(kReadable);
  EXPECT_TRUE(watcher.is_active());
  EXPECT_EQ(watcher.events(), kReadable);
  EXPECT_EQ(watcher.fd(), pipe.read_fd());
  EXPECT_EQ(&watcher.loop(), &loop);

  loop.run_once(0ns);
  EXPECT_TRUE(seen.empty()) << "called before anything was written";
  pipe.write_byte();
  ASSERT_TRUE(run_until(loop, [&] { return !seen.empty(); }));
  EXPECT_EQ(seen, std::vector<unsigned>{kReadable});
}

TEST(IoWatcher, WritableWhenPipeHasRoom) {
  eddy::Loop loop;
  Pipe pipe;
  std::vector<unsigned> seen;
  eddy::IoWatcher watcher(loop, pipe.write_fd(), [&](unsigned events) {
    seen.push_back(events);
    watcher.stop();
  });
  watcher.start(kWritable);
  ASSERT_TRUE(run_until(loop, [&] { return !seen.empty(); }));
  EXPECT_EQ(seen, std::vector<unsigned>{kWritable});
}

TEST(IoWatcher, WritableOnlyAfterAFullPipeIsDrained) {
  eddy::Loop loop;
  Pipe pipe;
  eddy::test::fill(pipe.write_fd());
  int calls = 0;
  eddy::IoWatcher watcher(loop, pipe.write_fd(), [&](unsigned events) {
    ++calls;
    EXPECT_EQ(events, kWritable);
    watcher.stop();
  });
  watcher.start(kWritable);
  loop.run_once(1ms);
  EXPECT_EQ(calls, 0) << "a full pipe was reported writable";
  pipe.drain();
  ASSERT_TRUE(run_until(loop, [&] { return calls == 1; }));
}

TEST(IoWatcher, SocketPairReportsReadableAndWritableTogether) {
  eddy::Loop loop;
  SocketPair pair;
  std::vector<unsigned> seen;
  eddy::IoWatcher watcher(loop, pair.first(), [&](unsigned events) { seen.push_back(events); });
  watcher.start(kReadable | kWritable);
  loop.run_once(0ns);
  EXPECT_EQ(seen, std::vector<unsigned>{kWritable});
  eddy::test::write_byte(pair.second());
  seen.clear();
  ASSERT_TRUE(run_until(loop, [&] { return !seen.empty() && (seen.back() & kReadable) != 0; }));
  EXPECT_EQ(seen.back(), kReadable | kWritable);
  watcher.stop();
}

TEST(IoWatcher, InterestChangesFromReadToWriteToBoth) {
  eddy::Loop loop;
  SocketPair pair;
  eddy::test::write_byte(pair.second());  // first() is now readable and writable
  std::vector<unsigned> seen;
  eddy::IoWatcher watcher(loop, pair.first(), [&](unsigned events) { seen.push_back(events); });

  // Readiness is level-triggered: pair.first() stays readable and writable,
  // and each iteration reports what the current interest asks for.
  const unsigned interests[] = {kReadable, kWritable, kReadable | kWritable, kReadable};
  for (const unsigned interest : interests) {
    watcher.start(interest);
    EXPECT_EQ(watcher.events(), interest);
    seen.clear();
    ASSERT_TRUE(run_until(loop, [&] { return !seen.empty(); }));
    EXPECT_EQ(seen, std::vector<unsigned>{interest}) << "interest " << interest;
  }
  watcher.stop();
}

TEST(IoWatcher, CallsEveryIterationWhileTheFdStaysReady) {
  eddy::Loop loop;
  Pipe pipe;
  pipe.write_byte();  // never drained
  int calls = 0;
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [&](unsigned) { ++calls; });
  watcher.start(kReadable);
  for (int i = 1; i <= 3; ++i) {
    loop.run_once(1s);  // returns at once: the pipe is readable
    EXPECT_EQ(calls, i);
  }
}

TEST(IoWatcher, StartWithEmptyInterestStops) {
  eddy::Loop loop;
  Pipe pipe;
  pipe.write_byte();
  int calls = 0;
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [&](unsigned) { ++calls; });
  watcher.start(kNone);  // inactive: nothing happens
  EXPECT_FALSE(watcher.is_active());
  watcher.start(kReadable);
  EXPECT_EQ(loop.active_count(), 1U);
  watcher.start(kNone);
  EXPECT_FALSE(watcher.is_active());
  EXPECT_EQ(watcher.events(), kNone);
  EXPECT_EQ(loop.active_count(), 0U);
  loop.run_once(1ms);
  EXPECT_EQ(calls, 0);
  watcher.stop();  // stopping an inactive watcher is harmless
  EXPECT_FALSE(watcher.is_active());
}

TEST(IoWatcher, SecondWatcherOnAWatchedFdThrowsEexistAndStaysInactive) {
  eddy::Loop loop;
  Pipe pipe;
  int first_calls = 0;
  int second_calls = 0;
  eddy::IoWatcher first(loop, pipe.read_fd(), [&](unsigned) {
    ++first_calls;
    pipe.drain();
  });
  eddy::IoWatcher second(loop, pipe.read_fd(), [&](unsigned) {
    ++second_calls;
    pipe.drain();
  });
  first.start(kReadable);
  try {
    second.start(kReadable);
    FAIL() << "a second watcher on fd " << pipe.read_fd() << " was accepted";
  } catch (const std::system_error& e) {
    EXPECT_TRUE(e.code() == std::errc::file_exists) << e.code().message();
    EXPECT_NE(std::string(e.what()).find("fd " + std::to_string(pipe.read_fd())), std::string::npos) << e.what();
  }
  EXPECT_FALSE(second.is_active());
  EXPECT_EQ(second.events(), kNone);
  EXPECT_EQ(loop.active_count(), 1U);

  // The first watcher is unaffected.
  pipe.write_byte();
  ASSERT_TRUE(run_until(loop, [&] { return first_calls == 1; }));
  EXPECT_EQ(second_calls, 0);

  // Once the first stops, the fd is free for the second.
  first.stop();
  second.start(kReadable);
  pipe.write_byte();
  ASSERT_TRUE(run_until(loop, [&] { return second_calls == 1; }));
  EXPECT_EQ(first_calls, 1);
}

TEST(IoWatcher, SecondWatcherOnAWatchedFdReportsEexistThroughErrorCode) {
  eddy::Loop loop;
  Pipe pipe;
  eddy::IoWatcher first(loop, pipe.read_fd(), [](unsigned) {});
  eddy::IoWatcher second(loop, pipe.read_fd(), [](unsigned) {});
  first.start(kReadable);
  std::error_code ec;
  second.start(kReadable | kWritable, ec);
  EXPECT_TRUE(ec == std::errc::file_exists) << ec.message();
  EXPECT_FALSE(second.is_active());
  EXPECT_EQ(second.events(), kNone);
  EXPECT_TRUE(first.is_active());
  EXPECT_EQ(loop.active_count(), 1U);

  first.stop();
  second.start(kReadable, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(second.is_active());
}

TEST(IoWatcher, StartOnNegativeFdFailsWithEbadf) {
  eddy::Loop loop;
  eddy::IoWatcher watcher(loop, -1, [](unsigned) {});
  std::error_code ec;
  watcher.start(kReadable, ec);
  EXPECT_TRUE(ec == std::errc::bad_file_descriptor) << ec.message();
  EXPECT_FALSE(watcher.is_active());
  EXPECT_THROW(watcher.start(kReadable), std::system_error);
  EXPECT_FALSE(watcher.is_active());
  EXPECT_EQ(loop.active_count(), 0U);
}

TEST(IoWatcher, PeerCloseReportsReadableAndHangup) {
  eddy::Loop loop;
  SocketPair pair;
  unsigned seen = kNone;
  eddy::IoWatcher watcher(loop, pair.first(), [&](unsigned events) {
    seen = events;
    watcher.stop();
  });
  watcher.start(kReadable);
  pair.close_second();
  ASSERT_TRUE(run_until(loop, [&] { return seen != kNone; }));
  EXPECT_NE(seen & kReadable, 0U) << seen;
  EXPECT_NE(seen & kHangup, 0U) << seen;
  char byte;
  EXPECT_EQ(::read(pair.first(), &byte, 1), 0);  // end of file
}

TEST(IoWatcher, HangupIsReportedWithoutReadInterest) {
  eddy::Loop loop;
  SocketPair pair;
  pair.close_second();
  unsigned seen = kNone;
  eddy::IoWatcher watcher(loop, pair.first(), [&](unsigned events) {
    seen = events;
    watcher.stop();
  });
  watcher.start(kWritable);
  ASSERT_TRUE(run_until(loop, [&] { return seen != kNone; }));
  EXPECT_NE(seen & kHangup, 0U) << seen;
  EXPECT_EQ(seen & kReadable, 0U) << "events outside the interest: " << seen;
}

TEST(IoWatcher, PipeWriteEndReportsErrorOnceTheReadEndIsClosed) {
  eddy::Loop loop;
  Pipe pipe;
  eddy::test::fill(pipe.write_fd());  // not writable: only the error can wake it
  unsigned seen = kNone;
  eddy::IoWatcher watcher(loop, pipe.write_fd(), [&](unsigned events) {
    seen = events;
    watcher.stop();
  });
  watcher.start(kWritable);
  loop.run_once(1ms);
  EXPECT_EQ(seen, kNone);
  pipe.close_read();
  ASSERT_TRUE(run_until(loop, [&] { return seen != kNone; }));
  EXPECT_NE(seen & kError, 0U) << seen;
}

TEST(IoWatcher, PendingSocketErrorIsReportedAsError) {
  eddy::Loop loop;
  const eddy::test::RefusingPort refusing;
  const eddy::UniqueFd socket = eddy::test::start_connect(refusing.port());
  unsigned seen = kNone;
  eddy::IoWatcher watcher(loop, socket.get(), [&](unsigned events) {
    seen = events;
    watcher.stop();
  });
  watcher.start(kWritable);  // how a connect is awaited
  ASSERT_TRUE(run_until(loop, [&] { return seen != kNone; }));
  EXPECT_NE(seen & kError, 0U) << seen;
  EXPECT_EQ(seen & kReadable, 0U) << "events outside the interest: " << seen;
  EXPECT_EQ(eddy::test::take_socket_error(socket.get()), ECONNREFUSED);
}

TEST(IoWatcher, ClosingAWatchedFdDoesNotBreakTheLoop) {
  eddy::Loop loop;
  Pipe pipe;
  pipe.write_byte();
  int calls = 0;
  unsigned seen = kNone;
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [&](unsigned events) {
    ++calls;
    seen |= events;
    watcher.stop();
  });
  watcher.start(kReadable);
  pipe.close_read();  // a misuse (the contract says stop first) that must not crash
  for (int i = 0; i < 5; ++i) {
    loop.run_once(1ms);
  }
  // epoll drops a closed fd from its set silently; poll reports POLLNVAL,
  // which the loop passes on as kError.
  if (calls != 0) {
    EXPECT_EQ(calls, 1);
    EXPECT_NE(seen & kError, 0U) << seen;
  }
  watcher.stop();
  EXPECT_FALSE(watcher.is_active());
  EXPECT_EQ(loop.active_count(), 0U);
  loop.run_once(0ns);
}

// A backend may hold the file while it watches it (an io_uring poll request
// does): once the watcher is stopped and the fd closed, the peer must see
// the close at once, without the loop running again.
TEST(IoWatcher, StoppingThenClosingReleasesTheFileAtOnce) {
  eddy::Loop loop;
  eddy::test::SocketPair pair;
  eddy::IoWatcher watcher(loop, pair.first(), [](unsigned) {});
  watcher.start(kReadable);
  loop.run_once(0ns);  // the registration reaches the kernel
  watcher.stop();
  pair.close_first();
  char byte = 0;
  EXPECT_EQ(::read(pair.second(), &byte, 1), 0) << "the peer sees EOF (errno " << errno << ")";
}

TEST(IoWatcher, DestroyingAnActiveWatcherReleasesItsFd) {
  eddy::Loop loop;
  Pipe pipe;
  int old_calls = 0;
  {
    eddy::IoWatcher old_watcher(loop, pipe.read_fd(), [&](unsigned) { ++old_calls; });
    old_watcher.start(kReadable);
  }
  EXPECT_EQ(loop.active_count(), 0U);
  int calls = 0;
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [&](unsigned) {
    ++calls;
    pipe.drain();
  });
  watcher.start(kReadable);  // no EEXIST: the destructor unregistered the fd
  pipe.write_byte();
  ASSERT_TRUE(run_until(loop, [&] { return calls == 1; }));
  EXPECT_EQ(old_calls, 0);
}

}  // namespace
