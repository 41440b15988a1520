// TcpConnection's read, write and idle timeouts: each closes with kTimeout,
// never before its time (measured with Clock from the moment the
// connection last had a reason to move its deadline), and traffic in the
// right direction keeps it from firing.
#include "net/connection_probe.hpp"
#include "net/peer_io.hpp"
#include "net/random_bytes.hpp"
#include "net/run_for.hpp"
#include "net/tcp_pair.hpp"
#include "support/run_until.hpp"

#include <eddy/buffer.hpp>
#include <eddy/loop.hpp>
#include <eddy/tcp_connection.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using eddy::Buffer;
using eddy::Clock;
using eddy::CloseReason;
using eddy::TcpConnection;
using eddy::test::ConnectionProbe;
using eddy::test::make_tcp_pair;
using eddy::test::random_bytes;
using eddy::test::read_available;
using eddy::test::run_for;
using eddy::test::run_until;
using eddy::test::send_some;

constexpr auto kTimeout = 100ms;
constexpr int kSmallBuffers = 16 * 1024;

std::chrono::milliseconds ms(eddy::Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); }

void expect_single_timeout(const ConnectionProbe& probe) {
  ASSERT_EQ(probe.closes.size(), 1U);
  EXPECT_EQ(probe.closes[0].reason, CloseReason::kTimeout) << eddy::to_string(probe.closes[0].reason);
  EXPECT_FALSE(probe.closes[0].error);
}

// The longest silence a connection really saw: the longest gap between
// tick()s (bytes arriving, or the peer taking bytes), up to `end`. A test
// that expects traffic to hold a timeout off can only judge runs where
// traffic did flow: on a loaded machine the test thread may not be
// scheduled, or loopback may drop a segment and retransmit it 200 ms later,
// and then the timeout firing is right.
class GapMeter {
 public:
  void tick() {
    const auto now = Clock::now();
    longest_ = std::max(longest_, now - last_);
    last_ = now;
  }
  eddy::Duration longest_until(eddy::TimePoint end) const { return std::max(longest_, end - last_); }

 private:
  eddy::TimePoint last_ = Clock::now();
  eddy::Duration longest_{};
};

#define SKIP_IF_TRAFFIC_STOPPED(meter, end, limit)                                                        \
  if ((meter).longest_until(end) >= (limit)) {                                                            \
    GTEST_SKIP() << "traffic stopped for " << ms((meter).longest_until(end)).count()                       \
                 << " ms (a loaded machine or a retransmission): the timeout may rightly have fired"; \
  }

// The loop has been busy elsewhere for a while, so its cached now() is
// stale when the connection starts: a deadline computed from that stale
// time would fire early.
void make_loop_time_stale(eddy::Loop& loop) {
  loop.run_once(0ns);
  std::this_thread::sleep_for(30ms);
}

TEST(TcpConnection, ReadTimeoutClosesASilentConnectionAndNotBefore) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours), {.read_timeout = kTimeout});
  ConnectionProbe probe;
  probe.attach(*connection);
  make_loop_time_stale(loop);
  const auto started = Clock::now();
  connection->start();
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  EXPECT_GE(*probe.closed_at - started, kTimeout) << "fired after " << ms(*probe.closed_at - started).count() << " ms";
  run_for(loop, 20ms);
  expect_single_timeout(probe);
  // A timeout is a close like any other: the peer sees it.
  std::string ignored;
  EXPECT_EQ(eddy::test::read_until_closed(pair.peer.get(), ignored, eddy::test::kDeadline),
            eddy::test::PeerState::kEof);
}

TEST(TcpConnection, IdleTimeoutClosesAConnectionWhereNothingMovesAndNotBefore) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours), {.idle_timeout = kTimeout});
  ConnectionProbe probe;
  probe.attach(*connection);
  make_loop_time_stale(loop);
  const auto started = Clock::now();
  connection->start();
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  EXPECT_GE(*probe.closed_at - started, kTimeout) << "fired after " << ms(*probe.closed_at - started).count() << " ms";
  expect_single_timeout(probe);
}

void check_write_timeout(bool as_buffer) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours), {.write_timeout = kTimeout});
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->start();
  run_for(loop, 150ms);
  EXPECT_FALSE(probe.closed()) << "a write timeout with nothing to write fired";

  const std::string data = random_bytes(2 * 1024 * 1024, 8);
  make_loop_time_stale(loop);
  const auto written = Clock::now();
  if (as_buffer) {
    Buffer buffer(loop.block_pool());
    buffer.append(data);
    ASSERT_TRUE(connection->write(std::move(buffer)));
  } else {
    ASSERT_TRUE(connection->write(data));
  }
  ASSERT_GT(connection->queued_output(), 0U);
  // The peer never reads.
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }, 3s))
      << "output stuck for 3 s with a " << ms(kTimeout).count() << " ms write timeout";
  EXPECT_GE(*probe.closed_at - written, kTimeout) << "fired after " << ms(*probe.closed_at - written).count() << " ms";
  expect_single_timeout(probe);
}

TEST(TcpConnection, WriteTimeoutClosesWhenThePeerStopsReadingAfterAStringWrite) { check_write_timeout(false); }

TEST(TcpConnection, WriteTimeoutClosesWhenThePeerStopsReadingAfterABufferWrite) { check_write_timeout(true); }

// A peer that sends a byte every 20 ms keeps a 100 ms timeout from firing;
// once it stops, the timeout fires, no sooner than 100 ms after its last
// byte.
void check_refreshed_by_incoming_data(const eddy::TcpConnectionOptions& options) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours), options);
  ConnectionProbe probe;
  probe.attach(*connection);
  GapMeter arrivals;
  connection->on_data([&](TcpConnection&, Buffer& input) {
    arrivals.tick();
    probe.take(input);
  });
  connection->start();
  arrivals.tick();

  auto last_sent = Clock::now();
  for (int i = 0; i < 25 && !probe.closed(); ++i) {
    run_for(loop, 20ms);
    ASSERT_EQ(send_some(pair.peer.get(), "."), 1U);
    last_sent = Clock::now();
  }
  if (probe.closed()) {
    SKIP_IF_TRAFFIC_STOPPED(arrivals, *probe.closed_at, kTimeout - 1ms);
  }
  EXPECT_FALSE(probe.closed()) << "timed out although a byte arrived every 20 ms";

  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  EXPECT_EQ(probe.data.size(), 25U);
  EXPECT_GE(*probe.closed_at - last_sent, kTimeout)
      << "fired " << ms(*probe.closed_at - last_sent).count() << " ms after the last byte";
  expect_single_timeout(probe);
}

TEST(TcpConnection, AByteEvery20msKeepsA100msIdleTimeoutFromFiring) {
  check_refreshed_by_incoming_data({.idle_timeout = kTimeout});
}

TEST(TcpConnection, AByteEvery20msKeepsA100msReadTimeoutFromFiring) {
  check_refreshed_by_incoming_data({.read_timeout = kTimeout});
}

TEST(TcpConnection, WriteTimeoutDoesNotFireWhileThePeerKeepsReading) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours), {.write_timeout = kTimeout});
  ConnectionProbe probe;
  probe.attach(*connection);
  const std::string data = random_bytes(512 * 1024, 9);
  connection->start();
  ASSERT_TRUE(connection->write(data));
  ASSERT_GT(connection->queued_output(), 0U);

  // Slow but steady: everything available every 20 ms.
  std::string received;
  const auto give_up = Clock::now() + 10s;
  GapMeter progress;  // the peer got more bytes
  while (received.size() < data.size() && !probe.closed() && Clock::now() < give_up) {
    run_for(loop, 20ms);
    const std::size_t before = received.size();
    read_available(pair.peer.get(), received);
    if (received.size() > before) {
      progress.tick();
    }
  }
  if (probe.closed()) {
    // Reading every 20 ms, the peer sees progress every 20 ms while the
    // kernel keeps taking bytes; a gap of half the timeout means it stopped.
    SKIP_IF_TRAFFIC_STOPPED(progress, *probe.closed_at, kTimeout / 2);
  }
  EXPECT_FALSE(probe.closed()) << "write timeout fired after " << received.size() << " of " << data.size()
                               << " bytes although the peer kept reading";
  EXPECT_EQ(received, data);
}

TEST(TcpConnection, ReadTimeoutDoesNotCountWhileReadingIsPausedAndStillFiresAfterResume) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours), {.read_timeout = kTimeout});
  ConnectionProbe probe;
  probe.attach(*connection);
  const auto started = Clock::now();
  connection->start();
  connection->pause_reading();
  const auto read_before_pause = Clock::now() - started;
  run_for(loop, 3 * kTimeout);
  EXPECT_FALSE(probe.closed()) << "read timeout fired while the application had paused reading";

  const auto resumed = Clock::now();
  connection->resume_reading();
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }, 3s))
      << "a silent peer was never timed out after resume_reading()";
  // "No byte arrived for this long while reading": the time spent reading
  // before the pause and after the resume add up to at least the timeout.
  EXPECT_GE(read_before_pause + (*probe.closed_at - resumed), kTimeout)
      << "fired " << ms(*probe.closed_at - resumed).count() << " ms after resume_reading()";
  expect_single_timeout(probe);
}

TEST(TcpConnection, ReadTimeoutStillFiresAfterAHighWatermarkPause) {
  constexpr std::size_t kHigh = 64 * 1024;
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours),
                                         {.high_watermark = kHigh, .low_watermark = 0, .read_timeout = kTimeout});
  ConnectionProbe probe;
  probe.attach(*connection);
  GapMeter arrivals;
  // Seen inside on_data: on the completion path the queue moves on to the
  // kernel before the loop returns, while reading stays paused until the
  // low mark.
  bool went_above_high = false;
  connection->on_data([&](TcpConnection& c, Buffer& input) {
    arrivals.tick();
    c.write(std::move(input));
    went_above_high = went_above_high || c.queued_output() > kHigh;
  });
  // Made before start(): the read timeout counts from there.
  const std::string data = random_bytes(1024 * 1024, 10);
  connection->start();
  arrivals.tick();

  // The peer sends without reading until the echo pauses, then waits past
  // the read timeout (paused: it does not count), then reads everything
  // and goes silent: the read timeout must end the connection.
  std::size_t sent = 0;
  ASSERT_TRUE(run_until(loop, [&] {
    if (!connection->is_open()) {
      return true;
    }
    sent += send_some(pair.peer.get(), std::string_view(data).substr(sent));
    return went_above_high;
  }));
  if (!connection->is_open()) {
    ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
    SKIP_IF_TRAFFIC_STOPPED(arrivals, *probe.closed_at, kTimeout - 1ms);
    FAIL() << "closed (" << eddy::to_string(probe.closes[0].reason) << ") while the echo was flowing";
  }
  run_for(loop, 3 * kTimeout);
  ASSERT_FALSE(probe.closed()) << "read timeout fired while reading was paused by the high watermark: "
                               << eddy::to_string(probe.closes[0].reason);
  std::string echoed;
  ASSERT_TRUE(run_until(loop, [&] {
    read_available(pair.peer.get(), echoed);
    return probe.closed() || (echoed.size() == sent && connection->queued_output() == 0);
  }));
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }, 3s))
      << "a silent peer was never timed out after a high-watermark pause";
  expect_single_timeout(probe);
}

}  // namespace
