// TcpConnection's lifetime rules: close()/abort() from inside each of its
// callbacks, destroying the Ptr inside them (ASan proves there is no
// use-after-free), graceful close flushing its output, abort resetting the
// peer, on_close exactly once and never from inside write()/close().
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
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::Buffer;
using eddy::CloseInfo;
using eddy::CloseReason;
using eddy::TcpConnection;
using eddy::test::ConnectionProbe;
using eddy::test::kDeadline;
using eddy::test::make_tcp_pair;
using eddy::test::PeerState;
using eddy::test::random_bytes;
using eddy::test::read_available;
using eddy::test::read_until_closed;
using eddy::test::run_for;
using eddy::test::run_until;
using eddy::test::send_some;

constexpr int kSmallBuffers = 16 * 1024;

void expect_single_close(const ConnectionProbe& probe, CloseReason reason) {
  ASSERT_EQ(probe.closes.size(), 1U);
  EXPECT_EQ(probe.closes[0].reason, reason) << eddy::to_string(probe.closes[0].reason);
}

// Reads what the peer gets while the loop runs, until EOF or reset.
PeerState run_until_peer_closed(eddy::Loop& loop, int peer, std::string& received) {
  PeerState state = PeerState::kOpen;
  EXPECT_TRUE(run_until(loop, [&] {
    state = read_available(peer, received);
    return state != PeerState::kOpen;
  }, 10s));
  return state;
}

TEST(TcpConnection, CloseInsideOnDataFlushesTheReplyThenEndsWithLocal) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  bool late_write_accepted = true;
  connection->on_data([&](TcpConnection& c, Buffer& input) {
    c.write("reply:");
    c.write(std::move(input));
    c.close();
    late_write_accepted = c.write("after close");
  });
  connection->start();
  ASSERT_EQ(send_some(pair.peer.get(), "hi"), 2U);
  std::string received;
  EXPECT_EQ(run_until_peer_closed(loop, pair.peer.get(), received), PeerState::kEof);
  EXPECT_EQ(received, "reply:hi");
  EXPECT_FALSE(late_write_accepted);
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  run_for(loop, 20ms);
  expect_single_close(probe, CloseReason::kLocal);
}

TEST(TcpConnection, CloseInsideOnDrainedEndsAfterEverythingWasSent) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->on_drained([&](TcpConnection& c) {
    ++probe.drained;
    c.close();
  });
  connection->start();
  const std::string data = random_bytes(1024 * 1024, 11);
  ASSERT_TRUE(connection->write(data));
  ASSERT_GT(connection->queued_output(), 0U);
  std::string received;
  EXPECT_EQ(run_until_peer_closed(loop, pair.peer.get(), received), PeerState::kEof);
  EXPECT_EQ(received, data);
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  run_for(loop, 20ms);
  EXPECT_EQ(probe.drained, 1U);
  expect_single_close(probe, CloseReason::kLocal);
}

TEST(TcpConnection, CloseAbortAndWriteInsideOnCloseDoNothing) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  bool write_accepted = true;
  connection->on_close([&](TcpConnection& c, const CloseInfo& info) {
    probe.record_close(info);
    c.close();
    c.abort();
    c.shutdown_write();
    write_accepted = c.write("too late");
  });
  connection->start();
  pair.peer.reset();
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  run_for(loop, 50ms);
  expect_single_close(probe, CloseReason::kEof);
  EXPECT_FALSE(write_accepted);
}

TEST(TcpConnection, AbortInsideOnDataDropsQueuedOutputAndResetsThePeer) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->on_data([](TcpConnection& c, Buffer&) { c.abort(); });
  connection->start();
  const std::string data = random_bytes(1024 * 1024, 12);
  ASSERT_TRUE(connection->write(data));
  ASSERT_GT(connection->queued_output(), 0U);
  ASSERT_EQ(send_some(pair.peer.get(), "stop"), 4U);
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  std::string received;
  EXPECT_EQ(read_until_closed(pair.peer.get(), received, kDeadline), PeerState::kReset);
  EXPECT_LT(received.size(), data.size());
  run_for(loop, 20ms);
  expect_single_close(probe, CloseReason::kLocal);
}

TEST(TcpConnection, DestroyingThePtrInsideOnDataClosesWithoutOnClose) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  std::size_t calls = 0;
  connection->on_data([&](TcpConnection& c, Buffer& input) {
    ++calls;
    connection.reset();
    // Still valid until this callback returns.
    EXPECT_EQ(input.size(), 5U);
    EXPECT_FALSE(c.write("x"));
  });
  connection->start();
  ASSERT_EQ(send_some(pair.peer.get(), "first"), 5U);
  ASSERT_TRUE(run_until(loop, [&] { return calls > 0; }));
  EXPECT_EQ(connection, nullptr);
  send_some(pair.peer.get(), "second");
  std::string received;
  const PeerState state = read_until_closed(pair.peer.get(), received, kDeadline);
  EXPECT_NE(state, PeerState::kOpen) << "the peer was not told";
  run_for(loop, 50ms);
  EXPECT_EQ(calls, 1U);
  EXPECT_FALSE(probe.closed()) << "on_close after the Ptr was destroyed";
}

TEST(TcpConnection, DestroyingThePtrInsideOnDataWithOutputQueuedResetsThePeer) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->on_data([&](TcpConnection&, Buffer&) { connection.reset(); });
  connection->start();
  ASSERT_TRUE(connection->write(random_bytes(1024 * 1024, 13)));
  ASSERT_GT(connection->queued_output(), 0U);
  ASSERT_EQ(send_some(pair.peer.get(), "go"), 2U);
  ASSERT_TRUE(run_until(loop, [&] { return connection == nullptr; }));
  std::string received;
  EXPECT_EQ(read_until_closed(pair.peer.get(), received, kDeadline), PeerState::kReset);
  run_for(loop, 20ms);
  EXPECT_FALSE(probe.closed());
}

TEST(TcpConnection, DestroyingThePtrInsideOnDrainedIsSafe) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->on_drained([&](TcpConnection&) { connection.reset(); });
  connection->start();
  const std::string data = random_bytes(512 * 1024, 14);
  ASSERT_TRUE(connection->write(data));
  std::string received;
  // Nothing was queued when it was destroyed: an orderly end.
  EXPECT_EQ(run_until_peer_closed(loop, pair.peer.get(), received), PeerState::kEof);
  EXPECT_EQ(received, data);
  EXPECT_EQ(connection, nullptr);
  EXPECT_FALSE(probe.closed());
}

TEST(TcpConnection, DestroyingThePtrInsideOnCloseIsSafe) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  std::size_t closes = 0;
  connection->on_close([&](TcpConnection& c, const CloseInfo& info) {
    ++closes;
    EXPECT_EQ(info.reason, CloseReason::kEof);
    connection.reset();
    EXPECT_FALSE(c.is_open());  // still valid until the callback returns
  });
  connection->start();
  pair.peer.reset();
  ASSERT_TRUE(run_until(loop, [&] { return closes > 0; }));
  run_for(loop, 20ms);
  EXPECT_EQ(closes, 1U);
  EXPECT_EQ(connection, nullptr);
}

TEST(TcpConnection, DestroyingAnOpenConnectionClosesItWithoutOnClose) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->start();
  ASSERT_TRUE(connection->write("partial"));
  connection.reset();
  std::string received;
  EXPECT_EQ(read_until_closed(pair.peer.get(), received, kDeadline), PeerState::kEof);
  EXPECT_EQ(received, "partial");
  run_for(loop, 20ms);
  EXPECT_FALSE(probe.closed());
  EXPECT_EQ(loop.active_count(), 0U) << "a destroyed connection left something active on the loop";
}

TEST(TcpConnection, CloseWithQueuedOutputDeliversEverythingThenEof) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->start();
  const std::string data = random_bytes(2 * 1024 * 1024, 15);
  ASSERT_TRUE(connection->write(data));
  ASSERT_GT(connection->queued_output(), 0U);
  connection->close();
  EXPECT_FALSE(connection->is_open());
  EXPECT_FALSE(connection->write("late")) << "write() accepted bytes after close()";
  Buffer late(loop.block_pool());
  late.append("late");
  EXPECT_FALSE(connection->write(std::move(late)));
  EXPECT_EQ(late.size(), 4U) << "a refused Buffer must keep its bytes";  // NOLINT(bugprone-use-after-move)

  std::string received;
  EXPECT_EQ(run_until_peer_closed(loop, pair.peer.get(), received), PeerState::kEof);
  EXPECT_EQ(received.size(), data.size());
  EXPECT_EQ(eddy::test::first_difference(received, data), std::string::npos);
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  run_for(loop, 20ms);
  expect_single_close(probe, CloseReason::kLocal);
  EXPECT_FALSE(connection->write("after on_close"));
}

TEST(TcpConnection, AbortDropsQueuedOutputAndThePeerSeesAReset) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->start();
  const std::string data = random_bytes(2 * 1024 * 1024, 16);
  ASSERT_TRUE(connection->write(data));
  ASSERT_GT(connection->queued_output(), 0U);
  connection->abort();
  EXPECT_EQ(connection->queued_output(), 0U);
  EXPECT_FALSE(connection->write("late"));
  std::string received;
  EXPECT_EQ(read_until_closed(pair.peer.get(), received, kDeadline), PeerState::kReset);
  EXPECT_LT(received.size(), data.size());
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  run_for(loop, 20ms);
  expect_single_close(probe, CloseReason::kLocal);
}

// tcp_connection.hpp: "abort(): Immediate close: drops queued output and
// sends RST" - with nothing queued as well.
TEST(TcpConnection, AbortWithNothingQueuedResetsThePeer) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  ConnectionProbe probe;
  probe.attach(*connection);
  connection->start();
  connection->abort();
  std::string received;
  EXPECT_EQ(read_until_closed(pair.peer.get(), received, kDeadline), PeerState::kReset);
  ASSERT_TRUE(run_until(loop, [&] { return probe.closed(); }));
  expect_single_close(probe, CloseReason::kLocal);
}

TEST(TcpConnection, OnCloseRunsFromTheLoopNeverFromInsideWriteCloseOrAbort) {
  for (const char* how : {"write", "close", "abort"}) {
    SCOPED_TRACE(how);
    eddy::Loop loop;
    auto pair = make_tcp_pair();
    auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
    bool inside_call = false;
    std::size_t closes = 0;
    std::size_t closes_inside_call = 0;
    connection->on_close([&](TcpConnection&, const CloseInfo&) {
      ++closes;
      closes_inside_call += inside_call ? 1 : 0;
    });
    connection->start();
    const std::string_view which(how);
    if (which == "write") {
      // The peer is gone (its RST is already here over loopback): write() fails.
      eddy::test::reset_and_close(pair.peer);
      inside_call = true;
      connection->write("into a reset connection");
      connection->write("and again");
      inside_call = false;
    } else {
      inside_call = true;
      which == "close" ? connection->close() : connection->abort();
      inside_call = false;
    }
    EXPECT_EQ(closes, 0U) << "on_close ran before the call returned";
    ASSERT_TRUE(run_until(loop, [&] { return closes > 0; }));
    run_for(loop, 20ms);
    EXPECT_EQ(closes, 1U);
    EXPECT_EQ(closes_inside_call, 0U);
  }
}

// A producer that sends the next piece from on_drained must not recurse:
// DESIGN.md, "a callback runs on its loop's thread, never re-entered".
void check_on_drained_not_reentered(bool as_buffer) {
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  int depth = 0;
  int max_depth = 0;
  int pieces_left = 1000;
  connection->on_drained([&](TcpConnection& c) {
    ++depth;
    max_depth = std::max(max_depth, depth);
    if (pieces_left > 0) {
      --pieces_left;
      if (as_buffer) {
        Buffer piece(loop.block_pool());
        piece.append("p");
        c.write(std::move(piece));
      } else {
        c.write("p");
      }
    }
    --depth;
  });
  connection->start();
  ASSERT_TRUE(connection->write(random_bytes(256 * 1024, 17)));
  ASSERT_GT(connection->queued_output(), 0U);
  std::string received;
  ASSERT_TRUE(run_until(loop, [&] {
    read_available(pair.peer.get(), received);
    return received.size() >= 256 * 1024 + 1 && connection->queued_output() == 0;
  }));
  run_for(loop, 20ms);
  EXPECT_EQ(max_depth, 1) << "on_drained was called from inside on_drained";
}

TEST(TcpConnection, AStringWriteInsideOnDrainedDoesNotReenterIt) { check_on_drained_not_reentered(false); }

TEST(TcpConnection, ABufferWriteInsideOnDrainedDoesNotReenterIt) { check_on_drained_not_reentered(true); }

}  // namespace
