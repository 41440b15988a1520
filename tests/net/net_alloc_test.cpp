// Once warmed up, a TCP echo allocates nothing per message (DESIGN.md:
// "Steady state allocates nothing"). This binary replaces the global
// operator new and delete with versions that count allocations while a
// CountAllocations object is alive, as tests/unit/alloc_test.cpp does.
//
// Both ends are TcpConnections on one loop (a TcpListener accepts the
// server side; connect() makes the client): TcpServer runs its own threads,
// which would make "allocations per message" depend on what they do
// meanwhile.
#include "net/run_for.hpp"
#include "support/counting_allocator.hpp"
#include "support/run_until.hpp"

#include <eddy/buffer.hpp>
#include <eddy/loop.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/tcp_connect.hpp>
#include <eddy/tcp_connection.hpp>
#include <eddy/tcp_listener.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>


namespace {

using namespace std::chrono_literals;
using eddy::Buffer;
using eddy::TcpConnection;
using eddy::test::run_until;

using eddy::test::CountAllocations;

TEST(TcpAllocation, TheCounterSeesAllocations) {
  // Calls of the allocation functions themselves: unlike new-expressions,
  // the optimizer may not elide them ([expr.new]).
  CountAllocations count;
  void* p = ::operator new(sizeof(int));
  const std::size_t n = count.stop().allocations;
  ::operator delete(p);
  EXPECT_EQ(n, 1U) << "the operator new replacement is not in effect; the other tests prove nothing";
}

constexpr std::size_t kMessage = 64;
constexpr int kWarmUp = 200;
constexpr int kMessages = 2000;

// How the echo side sends its reply.
enum class EchoStyle {
  kMoveBuffer,   // write(std::move(input)): relinks the input's blocks
  kStringView,   // write(input.front()) then drain: write-through from the block
};

// A client and an echo on one loop, ping-ponging 64-byte messages. Returns
// the allocations counted over kMessages round trips after kWarmUp.
void check_ping_pong(EchoStyle style) {
  eddy::Loop loop;
  TcpConnection::Ptr server_side;
  eddy::TcpListener listener(loop, [&](eddy::UniqueFd socket, const eddy::SocketAddress&) {
    server_side = TcpConnection::adopt(loop, std::move(socket));
    server_side->on_data([style](TcpConnection& c, Buffer& input) {
      if (style == EchoStyle::kMoveBuffer) {
        c.write(std::move(input));
        return;
      }
      while (!input.empty()) {
        const std::string_view front = input.front();
        c.write(front);
        input.drain(front.size());
      }
    });
    server_side->start();
  });
  ASSERT_FALSE(listener.listen(*eddy::SocketAddress::parse("127.0.0.1", 0)));

  TcpConnection::Ptr client;
  eddy::connect(loop, listener.local_address(), 5s, [&](std::error_code ec, TcpConnection::Ptr c) {
    if (!ec) {
      client = std::move(c);
    }
  });
  ASSERT_TRUE(run_until(loop, [&] { return client != nullptr && server_side != nullptr; }));

  char message[kMessage];
  std::memset(message, 'm', sizeof message);
  int round_trips = 0;
  std::size_t bad_replies = 0;
  client->on_data([&](TcpConnection& c, Buffer& input) {
    if (input.size() < kMessage) {
      return;
    }
    if (input.size() != kMessage) {
      ++bad_replies;
    }
    input.clear();
    ++round_trips;
    message[0] = static_cast<char>(round_trips);
    c.write(message, kMessage);
  });
  client->start();
  client->write(message, kMessage);
  ASSERT_TRUE(run_until(loop, [&] { return round_trips >= kWarmUp; }));

  const int start = round_trips;
  const auto give_up = eddy::Clock::now() + 20s;
  CountAllocations count;
  while (round_trips < start + kMessages && eddy::Clock::now() < give_up) {
    loop.run_once(10ms);
  }
  const std::size_t n = count.stop().allocations;
  ASSERT_GE(round_trips, start + kMessages) << "the ping-pong stalled";
  EXPECT_EQ(bad_replies, 0U);
  EXPECT_EQ(n, 0U) << n << " allocations over " << kMessages << " round trips";
}

TEST(TcpAllocation, PingPongWithABufferMovingEchoAllocatesNothingPerMessage) {
  check_ping_pong(EchoStyle::kMoveBuffer);
}

TEST(TcpAllocation, PingPongWithAWriteThroughEchoAllocatesNothingPerMessage) {
  check_ping_pong(EchoStyle::kStringView);
}

// Output that queues (the peer reads in bursts) also recycles its blocks.
TEST(TcpAllocation, QueuedOutputRecyclesBlocksOnceWarm) {
  eddy::Loop loop;
  TcpConnection::Ptr server_side;
  eddy::TcpListener listener(loop, [&](eddy::UniqueFd socket, const eddy::SocketAddress&) {
    server_side = TcpConnection::adopt(loop, std::move(socket));
    server_side->on_data([](TcpConnection& c, Buffer& input) { c.write(std::move(input)); });
    server_side->start();
  });
  ASSERT_FALSE(listener.listen(*eddy::SocketAddress::parse("127.0.0.1", 0)));
  TcpConnection::Ptr client;
  eddy::connect(loop, listener.local_address(), 5s, [&](std::error_code ec, TcpConnection::Ptr c) {
    if (!ec) {
      client = std::move(c);
    }
  });
  ASSERT_TRUE(run_until(loop, [&] { return client != nullptr && server_side != nullptr; }));

  // Rounds of 1 MiB each way: far beyond the socket buffers, so both
  // directions queue and drain every round.
  const std::string chunk(1024 * 1024, 'q');
  std::size_t echoed = 0;
  client->on_data([&](TcpConnection&, Buffer& input) {
    echoed += input.size();
    input.clear();
  });
  client->start();
  auto round = [&] {
    const std::size_t target = echoed + chunk.size();
    client->write(chunk);
    const auto give_up = eddy::Clock::now() + 10s;
    while (echoed < target && eddy::Clock::now() < give_up) {
      loop.run_once(10ms);
    }
    return echoed == target;
  };
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(round());
  }
  CountAllocations count;
  bool all_echoed = true;
  for (int i = 0; i < 8; ++i) {
    all_echoed = round() && all_echoed;
  }
  const std::size_t n = count.stop().allocations;
  ASSERT_TRUE(all_echoed);
  EXPECT_EQ(n, 0U) << n << " allocations over 8 MiB echoed";
}

}  // namespace
