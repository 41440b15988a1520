// TcpConnection backpressure: above high_watermark queued bytes it stops
// reading from its peer, whatever wrote them (bytes or a moved Buffer), and
// resumes with on_drained at low_watermark; memory stays within one read of
// the mark; and a paused connection does not hold up others on its loop.
#include "net/peer_io.hpp"
#include "net/random_bytes.hpp"
#include "net/run_for.hpp"
#include "net/connection_probe.hpp"
#include "net/tcp_pair.hpp"
#include "support/run_until.hpp"

#include <eddy/block_pool.hpp>
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
using eddy::TcpConnection;
using eddy::test::ConnectionProbe;
using eddy::test::first_difference;
using eddy::test::make_tcp_pair;
using eddy::test::random_bytes;
using eddy::test::read_available;
using eddy::test::run_for;
using eddy::test::run_until;
using eddy::test::send_some;

constexpr int kSmallBuffers = 16 * 1024;

// An echo whose peer sends without reading: reading from that peer must
// stop while more than high_watermark bytes wait for it, and resume (with
// on_drained) only once the queue is down to low_watermark.
TEST(TcpConnection, HighWatermarkPausesReadingUntilOutputFallsToTheLowWatermark) {
  constexpr std::size_t kHigh = 256 * 1024;
  constexpr std::size_t kLow = 64 * 1024;
  constexpr std::size_t kReadSize = 64 * 1024;
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(
      loop, std::move(pair.ours), {.high_watermark = kHigh, .low_watermark = kLow, .read_size = kReadSize});

  bool paused = false;  // output went above kHigh and on_drained has not run since
  std::size_t data_calls = 0;
  std::size_t data_calls_while_paused = 0;
  std::size_t drained = 0;
  std::size_t max_queued = 0;
  std::ptrdiff_t max_blocks = 0;
  connection->on_data([&](TcpConnection& c, Buffer& input) {
    ++data_calls;
    if (paused) {
      ++data_calls_while_paused;
    }
    c.write(std::move(input));
    max_queued = std::max(max_queued, c.queued_output());
    max_blocks = std::max(max_blocks, loop.block_pool().allocated_blocks());
    if (c.queued_output() > kHigh) {
      paused = true;
    }
  });
  connection->on_drained([&](TcpConnection& c) {
    EXPECT_LE(c.queued_output(), kLow);
    ++drained;
    paused = false;
  });
  ConnectionProbe closes;
  connection->on_close([&](TcpConnection&, const eddy::CloseInfo& info) { closes.record_close(info); });
  connection->start();
  // The loop's own blocks before any byte moves: the uring backend's
  // receive ring holds some for all of its connections.
  const std::ptrdiff_t loop_blocks = loop.block_pool().allocated_blocks();

  const std::string data = random_bytes(4 * 1024 * 1024, 2);
  std::size_t sent = 0;
  // 1. The peer sends and never reads, until the echo is paused and the
  //    peer's own socket stops taking bytes.
  bool peer_blocked = false;
  ASSERT_TRUE(run_until(loop, [&] {
    const std::size_t n = send_some(pair.peer.get(), std::string_view(data).substr(sent));
    sent += n;
    peer_blocked = paused && n == 0;
    return peer_blocked || sent == data.size();
  }));
  ASSERT_TRUE(peer_blocked) << "sent all " << sent << " bytes without the echo pausing";

  // 2. Paused: however long the peer keeps trying, nothing more is read.
  //    (Output may have fallen to the low mark before the pause: on the
  //    completion path it passes through the queue on its way out.)
  const std::size_t calls_at_pause = data_calls;
  const std::size_t drained_at_pause = drained;
  run_for(loop, 200ms);
  sent += send_some(pair.peer.get(), std::string_view(data).substr(sent));
  run_for(loop, 100ms);
  EXPECT_EQ(data_calls, calls_at_pause) << "on_data ran while more than high_watermark bytes were queued";
  EXPECT_GT(connection->queued_output(), kLow);
  EXPECT_EQ(drained, drained_at_pause);

  // 3. The peer reads: the queue drains, reading resumes, and every byte
  //    comes back once and in order.
  std::string echoed;
  ASSERT_TRUE(run_until(
      loop,
      [&] {
        read_available(pair.peer.get(), echoed);
        sent += send_some(pair.peer.get(), std::string_view(data).substr(sent));
        return echoed.size() >= data.size();
      },
      20s));
  EXPECT_EQ(echoed.size(), data.size());
  EXPECT_EQ(first_difference(echoed, data), std::string::npos) << "the echo differs at this offset";
  EXPECT_GT(drained, drained_at_pause);
  EXPECT_GT(data_calls, calls_at_pause) << "reading never resumed";
  EXPECT_EQ(data_calls_while_paused, 0U);
  // The memory bound that backpressure exists for: one read beyond the mark.
  EXPECT_LE(max_queued, kHigh + kReadSize);
  EXPECT_LE(static_cast<std::size_t>(max_blocks - loop_blocks) * eddy::BlockPool::kBlockSize, 2 * (kHigh + kReadSize))
      << "blocks held at the peak: " << max_blocks - loop_blocks;
  EXPECT_FALSE(closes.closed());
}

// A request/response server whose responses are large: one byte in, 1 MiB
// out. A single response already exceeds high_watermark, so the next
// request must wait in the kernel until the peer has read enough.
void check_large_response_pauses_reading(bool as_buffer) {
  constexpr std::size_t kHigh = 256 * 1024;
  constexpr std::size_t kResponse = 1024 * 1024;
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection =
      TcpConnection::adopt(loop, std::move(pair.ours), {.high_watermark = kHigh, .low_watermark = 0});
  const std::string response = random_bytes(kResponse, 3);
  std::size_t requests = 0;
  std::size_t requests_above_high = 0;
  connection->on_data([&](TcpConnection& c, Buffer& input) {
    for (; !input.empty(); input.drain(1)) {
      if (c.queued_output() > kHigh) {
        ++requests_above_high;
      }
      ++requests;
      if (as_buffer) {
        Buffer out(loop.block_pool());
        out.append(response);
        c.write(std::move(out));
      } else {
        c.write(response);
      }
    }
  });
  connection->start();

  ASSERT_EQ(send_some(pair.peer.get(), "a"), 1U);
  ASSERT_TRUE(run_until(loop, [&] { return requests == 1; }));
  ASSERT_GT(connection->queued_output(), kHigh) << "the first response should not fit in the kernel";
  ASSERT_EQ(send_some(pair.peer.get(), "b"), 1U);
  run_for(loop, 200ms);
  EXPECT_EQ(requests, 1U) << "read a request while " << connection->queued_output()
                          << " bytes (> high_watermark) were queued";

  std::string received;
  ASSERT_TRUE(run_until(
      loop,
      [&] {
        read_available(pair.peer.get(), received);
        return received.size() >= 2 * kResponse;
      },
      20s));
  EXPECT_EQ(requests, 2U);
  EXPECT_EQ(requests_above_high, 0U);
  EXPECT_EQ(received, response + response);
}

TEST(TcpConnection, ALargeStringWriteAboveTheHighWatermarkPausesReading) {
  check_large_response_pauses_reading(false);
}

TEST(TcpConnection, ALargeBufferWriteAboveTheHighWatermarkPausesReading) {
  check_large_response_pauses_reading(true);
}

// One peer floods without reading, so its connection sits paused at the
// high watermark; a second connection on the same loop still completes a
// thousand ping-pongs.
TEST(TcpConnection, APausedConnectionDoesNotHoldUpOthersOnItsLoop) {
  constexpr std::size_t kHigh = 128 * 1024;
  eddy::Loop loop;
  auto flooded = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto busy = TcpConnection::adopt(loop, std::move(flooded.ours), {.high_watermark = kHigh});
  busy->on_data([](TcpConnection& c, Buffer& input) { c.write(std::move(input)); });
  busy->start();
  auto quiet = make_tcp_pair();
  auto other = TcpConnection::adopt(loop, std::move(quiet.ours));
  other->on_data([](TcpConnection& c, Buffer& input) { c.write(std::move(input)); });
  other->start();

  const std::string flood = random_bytes(2 * 1024 * 1024, 31);
  std::size_t sent = 0;
  ASSERT_TRUE(run_until(loop, [&] {
    sent += send_some(flooded.peer.get(), std::string_view(flood).substr(sent));
    return busy->queued_output() > kHigh;
  }));

  int round_trips = 0;
  std::string reply;
  ASSERT_EQ(send_some(quiet.peer.get(), "ping"), 4U);
  ASSERT_TRUE(run_until(loop, [&] {
    sent += send_some(flooded.peer.get(), std::string_view(flood).substr(sent));
    read_available(quiet.peer.get(), reply);
    if (reply.size() >= 4) {
      EXPECT_EQ(reply, "ping");
      reply.clear();
      if (++round_trips < 1000) {
        send_some(quiet.peer.get(), "ping");
      }
    }
    return round_trips == 1000;
  }, 20s, 1ms)) << round_trips << " round trips";
  EXPECT_GT(busy->queued_output(), 0U) << "the flooded connection was never paused during the test";
}

}  // namespace
