// eddy-echo echoes what it receives, byte for byte, to every client.

#include "echo_fixture.hpp"
#include "echo_process.hpp"
#include "tcp_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::seconds;

using EchoServer = EchoProcessTest;

TEST_F(EchoServer, PrintsListeningLineNamingAddressBackendAndThreads) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--threads", "3"});
  EXPECT_EQ(server.listening_line, "eddy-echo: listening on 127.0.0.1:" + std::to_string(server.port) + " (" +
                                       backend_under_test() + ", 3 threads)");
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(EchoServer, RunsOneThreadPerCoreByDefault) {
  EchoServerProcess server = start_echo_server();
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  EXPECT_EQ(server.listening_line, "eddy-echo: listening on 127.0.0.1:" + std::to_string(server.port) + " (" +
                                       backend_under_test() + ", " + std::to_string(cores) +
                                       (cores == 1 ? " thread)" : " threads)"));
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(EchoServer, EchoesOneByte) {
  EchoServerProcess server = start_echo_server();
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  EXPECT_EQ(client.exchange("x", deadline_in(seconds(10))), "x");
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(EchoServer, Echoes64KiBOfBinaryDataByteForByte) {
  EchoServerProcess server = start_echo_server();
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::string data = random_bytes(64 * 1024, 1);
  EXPECT_TRUE(same_bytes(data, client.exchange(data, deadline_in(seconds(20)))));
  EXPECT_TRUE(exits_cleanly_on(server));
}

// 8 MiB is far more than the socket buffers of both directions hold, so the
// server meets full send buffers and must queue and resume (the partial-write
// path) while the client writes and reads at once.
TEST_F(EchoServer, Echoes8MiBWhileTheClientWritesAndReadsConcurrently) {
  EchoServerProcess server = start_echo_server();
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::string data = random_bytes(8 * 1024 * 1024, 2);
  EXPECT_TRUE(same_bytes(data, client.exchange(data, deadline_in(seconds(60)))));
  EXPECT_TRUE(exits_cleanly_on(server));
}

// 200 clients connected at once, each with its own payload.
void echoes_200_concurrent_clients(const std::vector<std::string>& server_args) {
  EchoServerProcess server = start_echo_server("127.0.0.1", server_args);
  constexpr int kClients = 200;
  const Deadline deadline = deadline_in(seconds(60));
  std::vector<TcpClient> clients;
  std::vector<std::string> payloads;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(TcpClient::connect(server.ip, server.port, deadline));
    payloads.push_back("client " + std::to_string(i) + ":" + random_bytes(4096, 100 + static_cast<unsigned>(i)));
  }
  // All connections are open before anyone sends; every payload fits in the
  // socket buffers, so sending all before reading any cannot block.
  for (int i = 0; i < kClients; ++i) {
    clients[static_cast<std::size_t>(i)].send_all(payloads[static_cast<std::size_t>(i)], deadline);
  }
  for (std::size_t i = 0; i < clients.size(); ++i) {
    EXPECT_TRUE(same_bytes(payloads[i], clients[i].read_exact(payloads[i].size(), deadline))) << "client " << i;
  }
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(EchoServer, Echoes200ConcurrentClientsEachTheirOwnPayload) { echoes_200_concurrent_clients({}); }

TEST_F(EchoServer, Echoes200ConcurrentClientsOnOneThread) { echoes_200_concurrent_clients({"--threads", "1"}); }

TEST_F(EchoServer, Echoes200ConcurrentClientsOnFourThreads) { echoes_200_concurrent_clients({"--threads", "4"}); }

TEST_F(EchoServer, HalfClosedClientGetsAllItsBytesThenEof) {
  EchoServerProcess server = start_echo_server();
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::string data = random_bytes(100 * 1024, 3);
  client.send_all(data, deadline_in(seconds(20)));
  client.shutdown_write();
  const TcpClient::Ending ending = client.read_until_closed(deadline_in(seconds(20)));
  EXPECT_FALSE(ending.reset) << "the server reset the connection instead of closing it";
  EXPECT_TRUE(same_bytes(data, ending.received));
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(EchoServer, ListensOnIpv6Loopback) {
  if (!can_bind("::1")) {
    GTEST_SKIP() << "this machine has no IPv6 loopback";
  }
  EchoServerProcess server = start_echo_server("::1", {"--threads", "1"});
  EXPECT_EQ(server.listening_line, "eddy-echo: listening on [::1]:" + std::to_string(server.port) + " (" +
                                       backend_under_test() + ", 1 thread)");
  TcpClient client = TcpClient::connect("::1", server.port, deadline_in(seconds(10)));
  const std::string data = random_bytes(64 * 1024, 4);
  EXPECT_TRUE(same_bytes(data, client.exchange(data, deadline_in(seconds(20)))));
  EXPECT_TRUE(exits_cleanly_on(server));
}

}  // namespace
}  // namespace echo_test
