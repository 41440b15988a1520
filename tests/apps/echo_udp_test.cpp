// eddy-echo --udp: RFC 862 over UDP. Each datagram goes back to its sender,
// byte for byte.

#include "echo_fixture.hpp"
#include "echo_process.hpp"
#include "tcp_client.hpp"
#include "udp_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::seconds;

using EchoUdp = EchoProcessTest;

TEST_F(EchoUdp, PrintsListeningLineNamingUdpAddressAndBackend) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--udp"});
  EXPECT_EQ(server.listening_line,
            "eddy-echo: listening on udp 127.0.0.1:" + std::to_string(server.port) + " (" + backend_under_test() + ")");
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(EchoUdp, EchoesDatagramsOfOneByteOneKiBAnd60000BytesExactly) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--udp"});
  UdpClient client = UdpClient::connect(server.ip, server.port);
  for (const std::size_t size : {std::size_t{1}, std::size_t{1024}, std::size_t{60000}}) {
    const std::string datagram = random_bytes(size, 70 + size);  // zeros and newlines included
    EXPECT_TRUE(same_bytes(datagram, client.echo(datagram, deadline_in(seconds(10))))) << size << " bytes";
  }
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(EchoUdp, EachSenderGetsItsOwnDatagramBack) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--udp", "--threads", "4"});
  std::vector<UdpClient> clients;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(UdpClient::connect(server.ip, server.port));
  }
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < clients.size(); ++i) {
      const std::string datagram = "client " + std::to_string(i) + " round " + std::to_string(round);
      EXPECT_EQ(clients[i].echo(datagram, deadline_in(seconds(10))), datagram);
    }
  }
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(EchoUdp, EchoesOnIpv6Loopback) {
  if (!can_bind("::1")) {
    GTEST_SKIP() << "this machine has no IPv6 loopback";
  }
  EchoServerProcess server = start_echo_server("::1", {"--udp"});
  EXPECT_EQ(server.listening_line,
            "eddy-echo: listening on udp [::1]:" + std::to_string(server.port) + " (" + backend_under_test() + ")");
  UdpClient client = UdpClient::connect("::1", server.port);
  const std::string datagram = random_bytes(4096, 80);
  EXPECT_TRUE(same_bytes(datagram, client.echo(datagram, deadline_in(seconds(10)))));
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(EchoUdp, SigintStopsItWithExitZero) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--udp"});
  UdpClient client = UdpClient::connect(server.ip, server.port);
  EXPECT_EQ(client.echo("x", deadline_in(seconds(10))), "x");
  EXPECT_TRUE(exits_cleanly_on(server, SIGINT));
  EXPECT_NE(server.process.err().find("eddy-echo: shutting down\n"), std::string::npos) << server.process.err();
}

TEST_F(EchoUdp, StatsCountDatagrams) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--udp", "--stats", "0.1"});
  UdpClient client = UdpClient::connect(server.ip, server.port);
  ASSERT_EQ(client.echo("12345", deadline_in(seconds(10))), "12345");
  EXPECT_TRUE(server.process.wait_for_stderr_line("bytes_out=", deadline_in(seconds(10))));
  // At least one datagram of 5 bytes in and out; resends may add more.
  EXPECT_TRUE(server.process.wait_for_stderr(
      [](const std::string& err) {
        return err.find(" dropped=0/0") != std::string::npos && err.find("/5 bytes_out=") != std::string::npos;
      },
      deadline_in(seconds(10))))
      << server.process.err();
  EXPECT_TRUE(exits_cleanly_on(server));
}

}  // namespace
}  // namespace echo_test
