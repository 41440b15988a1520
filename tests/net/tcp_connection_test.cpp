// TcpConnection's data path over real loopback sockets: write-through and
// queued writes, half-close in both directions, and resets. The peer is a
// plain socket driven with syscalls, so every check is about what the
// kernel delivered. Watermarks are in tcp_connection_backpressure_test.cpp,
// timeouts in tcp_connection_timeout_test.cpp, lifetime rules in
// tcp_connection_lifetime_test.cpp.
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
#include <cstddef>
#include <string>
#include <string_view>

namespace {

using namespace std::chrono_literals;
using eddy::Buffer;
using eddy::CloseReason;
using eddy::TcpConnection;
using eddy::test::ConnectionProbe;
using eddy::test::first_difference;
using eddy::test::kDeadline;
using eddy::test::make_tcp_pair;
using eddy::test::PeerState;
using eddy::test::random_bytes;
using eddy::test::read_available;
using eddy::test::read_while_running;
using eddy::test::run_for;
using eddy::test::run_until;
using eddy::test::send_some;

// Small socket buffers: the kernel stops taking bytes after tens of
// kilobytes, so "queued" and "paused" states are reached quickly.
constexpr int kSmallBuffers = 16 * 1024;

TEST(TcpConnection, WriteOfASmallMessageGoesStraightToTheKernel) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  connection->start();

  const std::string message("hello\0world", 11);
  ASSERT_TRUE(connection->write(message));
  // Nothing queued, and no loop iteration ran: the bytes left inside
  // write(), so no write interest was ever needed.
  EXPECT_EQ(connection->queued_output(), 0U);
  ASSERT_TRUE(eddy::test::wait_readable(pair.peer.get(), kDeadline));
  std::string received;
  EXPECT_EQ(read_available(pair.peer.get(), received), PeerState::kOpen);
  EXPECT_EQ(received, message);
}

TEST(TcpConnection, WriteOfASmallBufferGoesStraightToTheKernel) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  connection->start();

  Buffer message(loop.block_pool());
  message.append(std::string_view("\0binary\0", 8));
  ASSERT_TRUE(connection->write(std::move(message)));
  EXPECT_EQ(connection->queued_output(), 0U);
  EXPECT_TRUE(message.empty());  // NOLINT(bugprone-use-after-move): write() takes the blocks
  ASSERT_TRUE(eddy::test::wait_readable(pair.peer.get(), kDeadline));
  std::string received;
  read_available(pair.peer.get(), received);
  EXPECT_EQ(received, std::string_view("\0binary\0", 8));
}

// Writes `data` through a mix of write(string_view) and write(Buffer&&) in
// chunks of uneven sizes, so that write-through, appending to queued output
// and moving blocks all take part.
void write_in_mixed_chunks(eddy::Loop& loop, TcpConnection& connection, const std::string& data) {
  static constexpr std::size_t kSizes[] = {1, 7, 4096, 65536, 100'003, 1, 16384, 300'000};
  std::size_t offset = 0;
  for (std::size_t i = 0; offset < data.size(); ++i) {
    const std::size_t n = std::min(kSizes[i % std::size(kSizes)], data.size() - offset);
    const std::string_view chunk(data.data() + offset, n);
    if (i % 2 == 0) {
      ASSERT_TRUE(connection.write(chunk));
    } else {
      Buffer buffer(loop.block_pool());
      buffer.append(chunk);
      ASSERT_TRUE(connection.write(std::move(buffer)));
    }
    offset += n;
  }
}

TEST(TcpConnection, OutputThePeerDoesNotReadIsQueuedThenDeliveredInOrder) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours), {.high_watermark = 64 * 1024 * 1024});
  ConnectionProbe probe;
  probe.attach(*connection);
  eddy::TrafficCounters counters;
  connection->set_counters(&counters);
  connection->start();

  const std::string data = random_bytes(8 * 1024 * 1024, 1);
  write_in_mixed_chunks(loop, *connection, data);
  // The peer has not read a byte: most of 8 MiB must be waiting in eddy.
  EXPECT_GT(connection->queued_output(), data.size() / 2);

  const std::string received = read_while_running(loop, pair.peer.get(), data.size(), 20s);
  ASSERT_EQ(received.size(), data.size());
  EXPECT_EQ(first_difference(received, data), std::string::npos) << "the streams differ at this offset";
  EXPECT_EQ(connection->queued_output(), 0U);
  EXPECT_GE(probe.drained, 1U) << "on_drained when the queue emptied";
  EXPECT_EQ(counters.bytes_out.load(), data.size());
  EXPECT_FALSE(probe.closed());
}

TEST(TcpConnection, ShutdownWriteSendsQueuedOutputThenEofAndKeepsReading) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->start();

  const std::string data = random_bytes(1024 * 1024, 4);
  ASSERT_TRUE(connection->write(data));
  ASSERT_GT(connection->queued_output(), 0U);
  connection->shutdown_write();
  // A byte accepted now could never be sent: it must be refused.
  EXPECT_FALSE(connection->write("late")) << "write() after shutdown_write() accepted bytes that cannot be sent";

  std::string received;
  PeerState state = PeerState::kOpen;
  ASSERT_TRUE(run_until(loop, [&] {
    state = read_available(pair.peer.get(), received);
    return state != PeerState::kOpen;
  }));
  EXPECT_EQ(state, PeerState::kEof);
  EXPECT_EQ(received.size(), data.size());
  EXPECT_EQ(first_difference(received, data), std::string::npos);

  // Our side is half-closed; the peer's is not: what it sends still arrives.
  ASSERT_EQ(send_some(pair.peer.get(), "after your FIN"), 14U);
  ASSERT_TRUE(run_until(loop, [&] { return probe.data == "after your FIN"; }));
  EXPECT_FALSE(probe.closed());

  pair.peer.reset();
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  run_for(loop, 20ms);
  ASSERT_EQ(probe.closes.size(), 1U);
  EXPECT_EQ(probe.closes[0].reason, CloseReason::kEof);
}

TEST(TcpConnection, ShutdownWriteWithNothingQueuedSendsEofAtOnce) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->start();
  ASSERT_TRUE(connection->write("last words"));
  connection->shutdown_write();
  std::string received;
  EXPECT_EQ(eddy::test::read_until_closed(pair.peer.get(), received, kDeadline), PeerState::kEof);
  EXPECT_EQ(received, "last words");
  EXPECT_TRUE(connection->is_open());
}

TEST(TcpConnection, PeerHalfCloseEndsWithEofOnlyAfterQueuedOutputIsFlushed) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->start();

  const std::string data = random_bytes(1024 * 1024, 5);
  ASSERT_TRUE(connection->write(data));
  ASSERT_GT(connection->queued_output(), 0U);
  eddy::test::shutdown_write(pair.peer.get());
  run_for(loop, 100ms);
  EXPECT_FALSE(probe.closed()) << "closed with " << connection->queued_output() << " bytes still queued";
  EXPECT_GT(connection->queued_output(), 0U);

  std::string received;
  ASSERT_TRUE(run_until(loop, [&] {
    read_available(pair.peer.get(), received);
    return probe.closed();
  }));
  EXPECT_EQ(eddy::test::read_until_closed(pair.peer.get(), received, kDeadline), PeerState::kEof);
  EXPECT_EQ(received.size(), data.size());
  EXPECT_EQ(first_difference(received, data), std::string::npos);
  run_for(loop, 20ms);
  ASSERT_EQ(probe.closes.size(), 1U);
  EXPECT_EQ(probe.closes[0].reason, CloseReason::kEof) << eddy::to_string(probe.closes[0].reason);
}

TEST(TcpConnection, PeerHalfCloseWithNothingQueuedEndsWithEof) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->start();
  ASSERT_EQ(send_some(pair.peer.get(), "bye"), 3U);
  eddy::test::shutdown_write(pair.peer.get());
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  EXPECT_EQ(probe.data, "bye") << "bytes before the FIN are delivered first";
  ASSERT_EQ(probe.closes.size(), 1U);
  EXPECT_EQ(probe.closes[0].reason, CloseReason::kEof);
  EXPECT_FALSE(probe.closes[0].error);
}

TEST(TcpConnection, PeerResetWhileOutputIsQueuedIsReportedOnceAsReset) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->start();

  ASSERT_TRUE(connection->write(random_bytes(2 * 1024 * 1024, 6)));
  ASSERT_GT(connection->queued_output(), 0U);
  run_for(loop, 20ms);
  eddy::test::reset_and_close(pair.peer);
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  run_for(loop, 50ms);
  ASSERT_EQ(probe.closes.size(), 1U);
  EXPECT_TRUE(eddy::test::is_reset(probe.closes[0]))
      << eddy::to_string(probe.closes[0].reason) << ": " << probe.closes[0].error.message();
  EXPECT_FALSE(connection->is_open());
  EXPECT_FALSE(connection->write("x"));
}

TEST(TcpConnection, PeerResetWhileIdleIsReportedOnceAsReset) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->start();
  // Unread data on the peer's side turns its close into a reset.
  ASSERT_TRUE(connection->write("unread"));
  run_for(loop, 10ms);
  eddy::test::reset_and_close(pair.peer);
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  run_for(loop, 50ms);
  ASSERT_EQ(probe.closes.size(), 1U);
  EXPECT_TRUE(eddy::test::is_reset(probe.closes[0]))
      << eddy::to_string(probe.closes[0].reason) << ": " << probe.closes[0].error.message();
}

TEST(TcpConnection, TrafficCountersAddUpBothDirections) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  eddy::TrafficCounters counters;
  connection->set_counters(&counters);
  connection->on_data([](TcpConnection& c, Buffer& input) { c.write(std::move(input)); });
  connection->start();
  const std::string data = random_bytes(300'000, 7);
  std::size_t sent = 0;
  std::string echoed;
  ASSERT_TRUE(run_until(loop, [&] {
    sent += send_some(pair.peer.get(), std::string_view(data).substr(sent));
    read_available(pair.peer.get(), echoed);
    return echoed.size() >= data.size();
  }));
  EXPECT_EQ(echoed, data);
  EXPECT_EQ(counters.bytes_in.load(), data.size());
  EXPECT_EQ(counters.bytes_out.load(), data.size());
  EXPECT_GE(counters.reads.load(), 1U);
}

}  // namespace
