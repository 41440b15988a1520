// TcpServer: an echo on 1 and 4 threads, the connection cap, stats,
// start-up errors, and destruction without stop(). Clients are eddy
// connections on the test's own loop, or plain sockets where the test needs
// to control exactly what a client does. stop() is in
// tcp_server_stop_test.cpp.
#include "net/random_bytes.hpp"
#include "net/server_harness.hpp"
#include "support/run_until.hpp"

#include <eddy/buffer.hpp>
#include <eddy/loop.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/tcp_connect.hpp>
#include <eddy/tcp_connection.hpp>
#include <eddy/tcp_server.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::Buffer;
using eddy::Clock;
using eddy::SocketAddress;
using eddy::TcpConnection;
using eddy::TcpServer;
using eddy::TcpServerOptions;
using eddy::UniqueFd;
using eddy::test::connect_client;
using eddy::test::echo;
using eddy::test::eventually;
using eddy::test::loopback;
using eddy::test::PeerState;
using eddy::test::random_bytes;
using eddy::test::read_available;
using eddy::test::read_until_closed;
using eddy::test::run_until;
using eddy::test::send_some;
using eddy::test::server_options;
using eddy::test::within;

class TcpServerThreads : public testing::TestWithParam<std::size_t> {};

TEST_P(TcpServerThreads, EchoesTwoHundredConcurrentClientsAndCountsThem) {
  constexpr std::size_t kClients = 200;
  std::mutex mutex;
  std::set<std::thread::id> threads_used;
  std::atomic<std::size_t> user_closes{0};
  TcpServer server(server_options(GetParam()), [&](TcpConnection& connection) {
    {
      std::lock_guard lock(mutex);
      threads_used.insert(std::this_thread::get_id());
    }
    echo(connection);
    connection.on_close([&](TcpConnection&, const eddy::CloseInfo&) { user_closes.fetch_add(1); });
  });
  server.start();
  EXPECT_EQ(server.thread_count(), GetParam());
  EXPECT_NE(server.local_address().port(), 0);

  eddy::Loop loop;
  std::vector<std::string> payloads(kClients);
  std::vector<std::string> echoes(kClients);
  std::vector<TcpConnection::Ptr> clients(kClients);
  std::size_t total = 0;
  std::size_t done = 0;
  std::size_t failures = 0;
  for (std::size_t i = 0; i < kClients; ++i) {
    payloads[i] = random_bytes(1000 + 997 * i, static_cast<std::uint32_t>(100 + i));
    total += payloads[i].size();
    eddy::connect(loop, server.local_address(), 5s, [&, i](std::error_code ec, TcpConnection::Ptr c) {
      if (ec) {
        ++failures;
        ++done;
        return;
      }
      c->on_data([&, i](TcpConnection& self, Buffer& input) {
        const std::size_t old = echoes[i].size();
        echoes[i].resize(old + input.size());
        input.remove(echoes[i].data() + old, input.size());
        if (echoes[i].size() >= payloads[i].size()) {
          self.close();
        }
      });
      c->on_close([&](TcpConnection&, const eddy::CloseInfo&) { ++done; });
      c->start();
      c->write(payloads[i]);
      clients[i] = std::move(c);
    });
  }
  ASSERT_TRUE(run_until(loop, [&] { return done == kClients; }, 30s)) << done << " of " << kClients << " done";
  EXPECT_EQ(failures, 0U);
  for (std::size_t i = 0; i < kClients; ++i) {
    EXPECT_EQ(echoes[i], payloads[i]) << "client " << i << " got another client's bytes, or lost some";
  }
  ASSERT_TRUE(eventually([&] { return server.stats().closed == kClients; }));
  const eddy::TcpServerStats stats = server.stats();
  EXPECT_EQ(stats.accepted, kClients);
  EXPECT_EQ(stats.closed, kClients);
  EXPECT_EQ(stats.open, 0U);
  EXPECT_EQ(stats.rejected, 0U);
  EXPECT_EQ(stats.bytes_in, total);
  EXPECT_EQ(stats.bytes_out, total);
  EXPECT_EQ(user_closes.load(), kClients) << "the user's on_close runs for every connection";
  if (GetParam() > 1) {
    std::lock_guard lock(mutex);
    EXPECT_GT(threads_used.size(), 1U) << "all connections landed on one thread";
  }
  within(10s, "TcpServer::stop", [&] { server.stop(); });
}

std::string thread_count_name(const testing::TestParamInfo<std::size_t>& param) {
  return std::to_string(param.param) + (param.param == 1 ? "thread" : "threads");
}

INSTANTIATE_TEST_SUITE_P(Threads, TcpServerThreads, testing::Values(std::size_t{1}, std::size_t{4}),
                         thread_count_name);

TEST(TcpServer, MaxConnectionsServesTheFirstTenAndShedsTheRest) {
  constexpr std::size_t kCap = 10;
  constexpr std::size_t kClients = 30;
  std::atomic<int> open_now{0};
  std::atomic<int> most_open{0};
  TcpServer server(server_options(2, kCap), [&](TcpConnection& connection) {
    const int now = open_now.fetch_add(1) + 1;
    int seen = most_open.load();
    while (now > seen && !most_open.compare_exchange_weak(seen, now)) {
    }
    echo(connection);
    connection.on_close([&](TcpConnection&, const eddy::CloseInfo&) { open_now.fetch_sub(1); });
  });
  server.start();

  std::vector<UniqueFd> clients;
  for (std::size_t i = 0; i < kClients; ++i) {
    clients.push_back(connect_client(server.local_address()));
  }
  std::vector<std::size_t> served;
  std::size_t shed = 0;
  for (std::size_t i = 0; i < kClients; ++i) {
    send_some(clients[i].get(), "hello");
    std::string reply;
    const auto give_up = Clock::now() + 3s;
    PeerState state = PeerState::kOpen;
    while (reply.size() < 5 && state == PeerState::kOpen && Clock::now() < give_up) {
      eddy::test::wait_readable(clients[i].get(), 100ms);
      state = read_available(clients[i].get(), reply);
    }
    if (reply == "hello") {
      served.push_back(i);
    } else if (state != PeerState::kOpen) {
      ++shed;
    } else {
      ADD_FAILURE() << "client " << i << " was neither served nor closed within 3 s";
    }
  }
  EXPECT_EQ(served.size(), kCap);
  EXPECT_EQ(shed, kClients - kCap);
  EXPECT_LE(most_open.load(), static_cast<int>(kCap));

  // The ten keep working.
  for (const std::size_t i : served) {
    ASSERT_EQ(send_some(clients[i].get(), "again"), 5U);
    std::string reply;
    const auto give_up = Clock::now() + 3s;
    while (reply.size() < 5 && Clock::now() < give_up) {
      eddy::test::wait_readable(clients[i].get(), 100ms);
      ASSERT_EQ(read_available(clients[i].get(), reply), PeerState::kOpen);
    }
    EXPECT_EQ(reply, "again") << "client " << i;
  }
  const eddy::TcpServerStats stats = server.stats();
  EXPECT_EQ(stats.accepted, kCap);
  EXPECT_EQ(stats.rejected, kClients - kCap);
  EXPECT_EQ(stats.open, kCap);

  // One leaves: a newcomer takes its place.
  clients[served.front()].reset();
  ASSERT_TRUE(eventually([&] { return server.stats().open == kCap - 1; }));
  UniqueFd newcomer = connect_client(server.local_address());
  ASSERT_EQ(send_some(newcomer.get(), "new"), 3U);
  std::string reply;
  const auto give_up = Clock::now() + 3s;
  while (reply.size() < 3 && Clock::now() < give_up) {
    eddy::test::wait_readable(newcomer.get(), 100ms);
    ASSERT_EQ(read_available(newcomer.get(), reply), PeerState::kOpen);
  }
  EXPECT_EQ(reply, "new");
  within(10s, "TcpServer::stop", [&] { server.stop(); });
}

TEST(TcpServer, StartOnAPortInUseThrowsAndNamesTheAddress) {
  UniqueFd taken(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const SocketAddress any = loopback();
  ASSERT_EQ(::bind(taken.get(), any.get(), any.size()), 0);
  ASSERT_EQ(::listen(taken.get(), 1), 0);
  const SocketAddress in_use = *SocketAddress::local_of(taken.get());

  TcpServerOptions options = server_options(2);
  options.address = in_use;
  TcpServer server(options, echo);
  try {
    server.start();
    FAIL() << "start() on " << in_use.to_string() << " did not throw";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code(), std::errc::address_in_use) << error.what();
    const std::string what = error.what();
    EXPECT_NE(what.find("cannot listen on " + in_use.to_string()), std::string::npos) << what;
    EXPECT_NE(what.find("in use"), std::string::npos) << what;
  }
  EXPECT_EQ(server.thread_count(), 0U) << "threads left running after a failed start()";
}

TEST(TcpServer, DestroyingARunningServerWithoutStopClosesItsClients) {
  UniqueFd client;
  within(10s, "a running TcpServer's destructor", [&] {
    TcpServer server(server_options(2), echo);
    server.start();
    client = connect_client(server.local_address());
    ASSERT_EQ(send_some(client.get(), "hi"), 2U);
    std::string reply;
    const auto give_up = Clock::now() + 3s;
    while (reply.size() < 2 && Clock::now() < give_up) {
      eddy::test::wait_readable(client.get(), 100ms);
      read_available(client.get(), reply);
    }
    ASSERT_EQ(reply, "hi");
  });
  std::string rest;
  EXPECT_NE(read_until_closed(client.get(), rest, 5s), PeerState::kOpen);
}

}  // namespace
