// A TcpConnection holds its input and output Buffers only while bytes are
// in flight (a pair from its owner's free list): input that on_data left
// unconsumed must stay for the next on_data, and output the peer has not
// read must stay queued, across any number of loop iterations and events.
// The peer is a plain socket driven with syscalls. Recycling pairs across a
// server's connections is in tcp_server_handlers_test.cpp.
#include "net/peer_io.hpp"
#include "net/random_bytes.hpp"
#include "net/run_for.hpp"
#include "net/tcp_pair.hpp"
#include "support/run_until.hpp"

#include <eddy/buffer.hpp>
#include <eddy/loop.hpp>
#include <eddy/tcp_connection.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::Buffer;
using eddy::TcpConnection;
using eddy::test::first_difference;
using eddy::test::make_tcp_pair;
using eddy::test::random_bytes;
using eddy::test::read_available;
using eddy::test::read_while_running;
using eddy::test::run_for;
using eddy::test::run_until;
using eddy::test::send_some;

std::string contents(const Buffer& buffer) {
  std::string bytes(buffer.size(), '\0');
  buffer.copy_out(bytes.data(), bytes.size());
  return bytes;
}

// A line protocol: on_data takes only complete lines and leaves a partial
// one in `input`. The peer sends lines cut at arbitrary points, one piece
// at a time with idle loop iterations between: the partial line must wait
// in the connection's input across events (its buffer pair is not given
// back while it holds a byte), so every line arrives whole.
TEST(TcpConnectionBufferLoan, PartialLineStaysInInputAcrossLoopIterationsAndArrivesWhole) {
  eddy::Loop loop;
  auto pair = make_tcp_pair();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  eddy::TrafficCounters counters;
  connection->set_counters(&counters);
  std::vector<std::string> lines;
  std::vector<std::string> seen_on_entry;  // the whole input at each on_data
  std::size_t left_after = 0;              // input.size() when on_data returned
  connection->on_data([&](TcpConnection& c, Buffer& input) {
    seen_on_entry.push_back(contents(input));
    std::string line;
    while (input.read_line(line)) {
      lines.push_back(line);
      c.write(line + "\n");
    }
    left_after = input.size();
  });
  connection->start();

  struct Piece {
    std::string_view bytes;
    std::vector<std::string> lines;  // every line taken so far
    std::string_view left;           // the partial line waiting in input
  };
  const std::vector<Piece> pieces = {
      {"hel", {}, "hel"},
      {"lo wor", {}, "hello wor"},
      {"ld\r", {}, "hello world\r"},
      {"\nsecond li", {"hello world"}, "second li"},
      {"ne\nthi", {"hello world", "second line"}, "thi"},
      {"rd\n", {"hello world", "second line", "third"}, ""},
  };
  std::uint64_t sent = 0;
  for (const Piece& piece : pieces) {
    ASSERT_EQ(send_some(pair.peer.get(), piece.bytes), piece.bytes.size());
    sent += piece.bytes.size();
    ASSERT_TRUE(run_until(loop, [&] { return counters.bytes_in.load() == sent; })) << "piece " << piece.bytes;
    run_for(loop, 20ms);  // idle iterations: nothing arrives, the partial line must stay
    EXPECT_EQ(lines, piece.lines) << "after piece " << piece.bytes;
    EXPECT_EQ(left_after, piece.left.size()) << "after piece " << piece.bytes;
    if (!piece.left.empty()) {
      EXPECT_EQ(contents(connection->input()), piece.left) << "input() between events, after piece " << piece.bytes;
    }
  }
  ASSERT_FALSE(seen_on_entry.empty());
  EXPECT_EQ(seen_on_entry.back(), "third\n") << "the last on_data saw the rest of the line plus the new piece";

  std::string replies;
  ASSERT_TRUE(run_until(loop, [&] {
    read_available(pair.peer.get(), replies);
    return replies.size() >= 30;
  }));
  EXPECT_EQ(replies, "hello world\nsecond line\nthird\n");
  EXPECT_TRUE(connection->is_open());
}

// Output the peer does not read waits in the connection's output buffer
// across many loop iterations, some of them with on_data events that empty
// the input: the pair stays while output is queued, and every byte arrives
// in order once the peer reads.
TEST(TcpConnectionBufferLoan, QueuedOutputSurvivesLoopIterationsAndReadEventsUntilThePeerReads) {
  constexpr int kSmallBuffers = 16 * 1024;
  eddy::Loop loop;
  auto pair = make_tcp_pair({.buffer_size = kSmallBuffers});
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours), {.high_watermark = 64 * 1024 * 1024});
  std::string from_peer;
  std::size_t data_calls = 0;
  connection->on_data([&](TcpConnection&, Buffer& input) {
    ++data_calls;
    const std::size_t old = from_peer.size();
    from_peer.resize(old + input.size());
    input.remove(from_peer.data() + old, input.size());
  });
  connection->start();

  const std::string data = random_bytes(4 * 1024 * 1024, 6);
  for (std::size_t offset = 0; offset < data.size(); offset += 100'003) {
    ASSERT_TRUE(connection->write(std::string_view(data).substr(offset, 100'003)));
  }
  ASSERT_GT(connection->queued_output(), data.size() / 2) << "the kernel took most of it: the test proves nothing";

  std::string ticks;
  std::size_t queued = connection->queued_output();
  for (int i = 0; i < 40; ++i) {
    if (i % 4 == 0) {
      const std::string tick = "tick " + std::to_string(i) + "\n";
      ASSERT_EQ(send_some(pair.peer.get(), tick), tick.size());
      ticks += tick;
      ASSERT_TRUE(run_until(loop, [&] { return from_peer.size() == ticks.size(); })) << "iteration " << i;
    } else {
      loop.run_once(2ms);
    }
    ASSERT_GT(connection->queued_output(), 0U) << "queued output gone at iteration " << i;
    EXPECT_LE(connection->queued_output(), queued) << "queued output grew at iteration " << i;
    queued = connection->queued_output();
  }
  EXPECT_EQ(from_peer, ticks);
  EXPECT_GE(data_calls, 10U);

  const std::string received = read_while_running(loop, pair.peer.get(), data.size(), 20s);
  ASSERT_EQ(received.size(), data.size());
  EXPECT_EQ(first_difference(received, data), std::string::npos) << "the streams differ at this offset";
  EXPECT_EQ(connection->queued_output(), 0U);
  EXPECT_TRUE(connection->is_open());
}

}  // namespace
