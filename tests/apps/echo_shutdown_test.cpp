// SIGINT and SIGTERM stop eddy-echo gracefully: no new connections, queued
// output flushed (for up to --shutdown-timeout), everything freed, exit 0.
// A second signal during that stop exits at once; SIGHUP is ignored.

#include "echo_fixture.hpp"
#include "echo_process.hpp"
#include "tcp_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using EchoShutdown = EchoProcessTest;

void shut_down_with_clients_connected(int signo) {
  // A short flush deadline: the client that never reads holds its output
  // until the deadline, then the server drops it.
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--shutdown-timeout", "0.5"});
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
    EXPECT_FALSE(ending.reset) << "an idle client was reset instead of closed";
  }
}

TEST_F(EchoShutdown, SigtermWithClientsConnectedExitsZero) { shut_down_with_clients_connected(SIGTERM); }

TEST_F(EchoShutdown, SigintWithClientsConnectedExitsZero) { shut_down_with_clients_connected(SIGINT); }

// The server has read all the client sent and queued what the client's
// receive buffer does not hold. The graceful stop flushes that output while
// the client reads, then ends with FIN, not RST.
TEST_F(EchoShutdown, GracefulStopFlushesQueuedOutputToAClientThatReads) {
  constexpr std::size_t kSize = 16 * 1024 * 1024;  // more than the socket buffers hold on loopback
  EchoServerProcess server =
      start_echo_server("127.0.0.1", {"--max-buffer", "64M", "--shutdown-timeout", "60", "--stats", "0.05"});
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::string data = random_bytes(kSize, 30);
  client.send_all(data, deadline_in(seconds(60)));
  // Input the server has not read when it stops would make its close an
  // RST; wait until the stats line shows every byte read.
  const std::string read_all = "/" + std::to_string(kSize) + " bytes_out=";
  ASSERT_TRUE(server.process.wait_for_stderr_line(read_all, deadline_in(seconds(60)))) << server.process.err();

  server.process.send_signal(SIGTERM);
  ASSERT_TRUE(server.process.wait_for_stderr_line("shutting down", deadline_in(seconds(10))));
  std::this_thread::sleep_for(milliseconds(100));  // the stop is under way, the output still queued
  const TcpClient::Ending ending = client.read_until_closed(deadline_in(seconds(60)));
  EXPECT_FALSE(ending.reset) << "the server reset the connection instead of flushing and closing it";
  EXPECT_TRUE(same_bytes(data, ending.received));
  const std::optional<ExitStatus> status = server.process.wait_exit(deadline_in(seconds(20)));
  ASSERT_TRUE(status) << server.process.err();
  EXPECT_TRUE(status->exited_with(0)) << status->describe() << "\n" << server.process.err();
}

// While the graceful stop waits for a client that never reads, a second
// signal ends the process at once with 128 + signo.
TEST_F(EchoShutdown, SecondSigtermDuringGracefulStopExitsAtOnceWith143) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--shutdown-timeout", "600"});
  TcpClient not_reading = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  ASSERT_GT(send_until_blocked(not_reading, 64 * 1024 * 1024, deadline_in(seconds(60))), 0U);

  server.process.send_signal(SIGTERM);
  ASSERT_TRUE(server.process.wait_for_stderr_line("shutting down", deadline_in(seconds(10))));
  std::this_thread::sleep_for(milliseconds(200));
  ASSERT_FALSE(server.process.has_exited()) << "the graceful stop did not wait for the queued output";

  server.process.send_signal(SIGTERM);
  const std::optional<ExitStatus> status = server.process.wait_exit(deadline_in(seconds(10)));
  ASSERT_TRUE(status) << "still running after the second SIGTERM; stderr:\n" << server.process.err();
  EXPECT_TRUE(status->exited_with(128 + SIGTERM)) << status->describe() << "\n" << server.process.err();
  EXPECT_NE(server.process.err().find("eddy-echo: second signal (SIGTERM): exiting at once\n"), std::string::npos)
      << server.process.err();
}

TEST_F(EchoShutdown, SighupIsLoggedAndIgnored) {
  EchoServerProcess server = start_echo_server();
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  ASSERT_EQ(client.exchange("before", deadline_in(seconds(10))), "before");

  server.process.send_signal(SIGHUP);
  EXPECT_TRUE(server.process.wait_for_stderr_line("eddy-echo: info: SIGHUP ignored", deadline_in(seconds(10))))
      << server.process.err();
  EXPECT_EQ(client.exchange("after", deadline_in(seconds(10))), "after");
  EXPECT_FALSE(server.process.has_exited());
  EXPECT_TRUE(exits_cleanly_on(server));
}

}  // namespace
}  // namespace echo_test
