// SIGINT and SIGTERM make eddy-echo close every connection, free everything
// and exit 0, even with clients connected and output pending.

#include "echo_fixture.hpp"
#include "echo_process.hpp"
#include "tcp_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::seconds;

using EchoShutdown = EchoProcessTest;

void shut_down_with_clients_connected(int signo) {
  EchoServerProcess server = start_echo_server();
  std::vector<TcpClient> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(TcpClient::connect(server.ip, server.port, deadline_in(seconds(10))));
    const std::string data = random_bytes(1024, 20 + static_cast<unsigned>(i));
    ASSERT_TRUE(same_bytes(data, clients.back().exchange(data, deadline_in(seconds(10)))));
  }
  // One more client leaves the server holding output it cannot send: a
  // pending buffer that must be freed too.
  TcpClient not_reading = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  ASSERT_GT(send_until_blocked(not_reading, 64 * 1024 * 1024, deadline_in(seconds(60))), 0U);

  EXPECT_TRUE(exits_cleanly_on(server, signo));
  EXPECT_NE(server.process.err().find("eddy-echo: shutting down\n"), std::string::npos) << server.process.err();
  for (TcpClient& client : clients) {
    const TcpClient::Ending ending = client.read_until_closed(deadline_in(seconds(10)));
    EXPECT_TRUE(ending.received.empty());
  }
}

TEST_F(EchoShutdown, SigtermWithClientsConnectedExitsZero) { shut_down_with_clients_connected(SIGTERM); }

TEST_F(EchoShutdown, SigintWithClientsConnectedExitsZero) { shut_down_with_clients_connected(SIGINT); }

}  // namespace
}  // namespace echo_test
