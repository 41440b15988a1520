// TcpServer::stop(): a graceful stop flushes what was echoed and then
// closes; clients that do not read are aborted at the flush deadline; every
// thread stops accepting at once and one deadline bounds the whole stop.
#include "net/random_bytes.hpp"
#include "net/server_harness.hpp"

#include <eddy/socket_address.hpp>
#include <eddy/tcp_server.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::Clock;
using eddy::SocketAddress;
using eddy::TcpServer;
using eddy::TcpServerOptions;
using eddy::UniqueFd;
using eddy::test::connect_client;
using eddy::test::echo;
using eddy::test::Ending;
using eddy::test::echo_with_small_send_buffer;
using eddy::test::eventually;
using eddy::test::kSmallBuffers;
using eddy::test::PeerState;
using eddy::test::random_bytes;
using eddy::test::read_all_until_closed;
using eddy::test::read_until_closed;
using eddy::test::send_all;
using eddy::test::server_options;
using eddy::test::within;

// Clients whose bytes the server has read and echoed, but who have not read
// the echo yet: a graceful stop delivers all of it, then EOF.
TEST(TcpServer, GracefulStopDeliversEverythingAlreadyEchoedThenEof) {
  constexpr std::size_t kClients = 5;
  constexpr std::size_t kSize = 1024 * 1024;
  TcpServerOptions options = server_options(2);
  options.connection.high_watermark = 8 * kSize;  // read everything: nothing unread at close
  TcpServer server(options, echo_with_small_send_buffer);
  server.start();

  std::vector<UniqueFd> clients;
  std::vector<std::string> payloads;
  for (std::size_t i = 0; i < kClients; ++i) {
    clients.push_back(connect_client(server.local_address(), kSmallBuffers));
    payloads.push_back(random_bytes(kSize, static_cast<std::uint32_t>(200 + i)));
    ASSERT_TRUE(send_all(clients[i].get(), payloads[i]));
  }
  ASSERT_TRUE(eventually([&] { return server.stats().bytes_in == kClients * kSize; }));

  std::thread stopper([&] { server.stop(10s); });
  const std::vector<Ending> endings = read_all_until_closed(clients, 10s);
  for (std::size_t i = 0; i < kClients; ++i) {
    EXPECT_EQ(endings[i].state, PeerState::kEof) << "client " << i;
    EXPECT_EQ(endings[i].received.size(), kSize) << "client " << i;
    EXPECT_EQ(eddy::test::first_difference(endings[i].received, payloads[i]), std::string::npos) << "client " << i;
  }
  within(15s, "TcpServer::stop", [&] { stopper.join(); });
  EXPECT_EQ(server.stats().open, 0U);
  // Not listening any more.
  UniqueFd late(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const SocketAddress address = server.local_address();
  EXPECT_NE(::connect(late.get(), address.get(), address.size()), 0);
  EXPECT_EQ(errno, ECONNREFUSED);
}

TEST(TcpServer, StopAbortsAClientThatNeverReadsAtTheFlushDeadline) {
  constexpr auto kFlushDeadline = 200ms;
  constexpr std::size_t kSize = 2 * 1024 * 1024;
  TcpServerOptions options = server_options(1);
  options.connection.high_watermark = 8 * kSize;
  TcpServer server(options, echo_with_small_send_buffer);
  server.start();
  UniqueFd client = connect_client(server.local_address(), kSmallBuffers);
  ASSERT_TRUE(send_all(client.get(), random_bytes(kSize, 300)));
  ASSERT_TRUE(eventually([&] { return server.stats().bytes_in == kSize; }));

  const auto started = Clock::now();
  within(kFlushDeadline + 5s, "TcpServer::stop with a 200 ms flush deadline", [&] { server.stop(kFlushDeadline); });
  const auto took = Clock::now() - started;
  EXPECT_GE(took, kFlushDeadline) << "gave up on the flush before its deadline";

  std::string received;
  const PeerState state = read_until_closed(client.get(), received, 5s);
  EXPECT_NE(state, PeerState::kOpen) << "the client was left hanging";
  EXPECT_LT(received.size(), kSize) << "everything was delivered: the client did read, the test proves nothing";
  EXPECT_EQ(server.stats().open, 0U);
}

// `count` clients that each sent `size` bytes, which the server read and
// echoed, and that never read: every worker holding one has output it
// cannot flush until the stop deadline.
std::vector<UniqueFd> clients_that_never_read(TcpServer& server, std::size_t count, std::size_t size) {
  std::vector<UniqueFd> clients;
  const std::uint64_t before = server.stats().bytes_in;
  for (std::size_t i = 0; i < count; ++i) {
    clients.push_back(connect_client(server.local_address(), kSmallBuffers));
    EXPECT_TRUE(send_all(clients.back().get(), random_bytes(size, static_cast<std::uint32_t>(400 + i))));
  }
  EXPECT_TRUE(eventually([&] { return server.stats().bytes_in == before + count * size; }));
  return clients;
}

// With 16 stuck clients over 4 threads, every thread very likely has one
// (all on three of them: probability about 4 x (3/4)^16, 4%); a server that
// stopped its threads one after another would keep accepting on the later
// ones while the first drains.
TEST(TcpServer, StopStopsAcceptingOnEveryThreadAtOnce) {
  TcpServerOptions options = server_options(4);
  options.connection.high_watermark = 16 * 1024 * 1024;
  TcpServer server(options, echo_with_small_send_buffer);
  server.start();
  const SocketAddress address = server.local_address();
  const std::vector<UniqueFd> stuck = clients_that_never_read(server, 16, 256 * 1024);

  std::thread stopper([&] { server.stop(1s); });
  std::this_thread::sleep_for(200ms);
  std::size_t accepted_after_stop = 0;
  for (int i = 0; i < 20; ++i) {
    UniqueFd late(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(late.get(), address.get(), address.size()) == 0) {
      ++accepted_after_stop;
    }
  }
  within(10s, "TcpServer::stop", [&] { stopper.join(); });
  EXPECT_EQ(accepted_after_stop, 0U) << "new connections were accepted 200 ms into a graceful stop";
}

TEST(TcpServer, StopReturnsAtTheFlushDeadlineNotOncePerThread) {
  constexpr auto kFlushDeadline = 500ms;
  TcpServerOptions options = server_options(4);
  options.connection.high_watermark = 16 * 1024 * 1024;
  TcpServer server(options, echo_with_small_send_buffer);
  server.start();
  const std::vector<UniqueFd> stuck = clients_that_never_read(server, 16, 256 * 1024);

  const auto started = Clock::now();
  within(kFlushDeadline * 4 + 5s, "TcpServer::stop", [&] { server.stop(kFlushDeadline); });
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  EXPECT_GE(took, kFlushDeadline);
  EXPECT_LT(took, kFlushDeadline + 1s) << "stop(" << kFlushDeadline.count() << " ms) took " << took.count()
                                       << " ms with 4 threads";
  for (std::size_t i = 0; i < stuck.size(); ++i) {
    std::string ignored;
    EXPECT_NE(read_until_closed(stuck[i].get(), ignored, 2s), PeerState::kOpen) << "client " << i;
  }
}

TEST(TcpServer, StopIsIdempotentAndWorksWithoutClients) {
  TcpServer server(server_options(2), echo);
  server.start();
  within(5s, "TcpServer::stop", [&] { server.stop(); });
  within(5s, "TcpServer::stop again", [&] { server.stop(); });
  EXPECT_EQ(server.thread_count(), 0U);
}

}  // namespace
