// eddy-echo's command line: --help, --version, and one clear line on stderr
// with exit code 2 for a usage error, 1 for a runtime error.

#include "echo_fixture.hpp"
#include "echo_process.hpp"
#include <eddy/unique_fd.hpp>
#include "tcp_client.hpp"

#include <eddy/version.hpp>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <vector>

namespace echo_test {
namespace {

using EchoCli = EchoProcessTest;

TEST_F(EchoCli, HelpListsTheFlagsAndExitsZero) {
  const EchoRun run = run_echo({"--help"});
  ASSERT_TRUE(run.status && run.status->exited_with(0)) << run.err;
  for (const char* flag :
       {"--port", "--bind", "--threads", "--backend", "--max-connections", "--idle-timeout", "--max-buffer",
        "--shutdown-timeout", "--stats", "--log-level", "--udp", "--version", "--help"}) {
    EXPECT_NE(run.out.find(flag), std::string::npos) << flag << " missing from:\n" << run.out;
  }
}

TEST_F(EchoCli, VersionPrintsTheLibraryVersionAndExitsZero) {
  const EchoRun run = run_echo({"--version"});
  ASSERT_TRUE(run.status && run.status->exited_with(0)) << run.err;
  EXPECT_EQ(run.out, std::string("eddy-echo ") + EDDY_VERSION_STRING + "\n");
}

TEST_F(EchoCli, UnknownFlagIsAUsageErrorNamingIt) {
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--nope"})), 2, {"--nope"}));
}

TEST_F(EchoCli, PortZeroIsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--port", "0"})), 2, {"--port"}));
}

TEST_F(EchoCli, PortAbove65535IsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--port", "70000"})), 2, {"--port"}));
}

TEST_F(EchoCli, NonNumericPortIsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--port", "abc"})), 2, {"--port", "abc"}));
}

TEST_F(EchoCli, UnparseableBindAddressIsAUsageError) {
  EXPECT_TRUE(
      fails_with_one_line(run_echo(with_backend({"--bind", "not-an-address"})), 2, {"--bind", "not-an-address"}));
}

TEST_F(EchoCli, UnknownBackendFlagIsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo({"--backend", "bogus"}), 2, {"--backend", "bogus"}));
}

TEST_F(EchoCli, UnknownBackendInEnvironmentIsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo({"--port", "1"}, {"EDDY_BACKEND=bogus"}), 2, {"EDDY_BACKEND", "bogus"}));
}

TEST_F(EchoCli, ZeroThreadsIsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--threads", "0"})), 2, {"--threads"}));
}

TEST_F(EchoCli, MoreThan1024ThreadsIsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--threads", "1025"})), 2, {"--threads"}));
}

TEST_F(EchoCli, ZeroMaxBufferIsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--max-buffer", "0"})), 2, {"--max-buffer", "\"0\""}));
}

TEST_F(EchoCli, MalformedMaxBufferIsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--max-buffer", "-1"})), 2, {"--max-buffer", "-1"}));
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--max-buffer", "64Q"})), 2, {"--max-buffer", "64Q"}));
}

TEST_F(EchoCli, UnknownLogLevelIsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--log-level", "loud"})), 2, {"--log-level", "loud"}));
}

TEST_F(EchoCli, NegativeStatsIntervalIsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--stats", "-1"})), 2, {"--stats", "-1"}));
}

TEST_F(EchoCli, NonFiniteOrNegativeIdleTimeoutIsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--idle-timeout", "-0.5"})), 2, {"--idle-timeout"}));
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--idle-timeout", "nan"})), 2, {"--idle-timeout"}));
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--idle-timeout", "inf"})), 2, {"--idle-timeout"}));
}

TEST_F(EchoCli, NegativeMaxConnectionsIsAUsageError) {
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--max-connections", "-1"})), 2, {"--max-connections"}));
}

TEST_F(EchoCli, TcpOnlyFlagsWithUdpAreAUsageError) {
  EXPECT_TRUE(
      fails_with_one_line(run_echo(with_backend({"--udp", "--max-buffer", "64K"})), 2, {"--max-buffer", "--udp"}));
  EXPECT_TRUE(
      fails_with_one_line(run_echo(with_backend({"--udp", "--idle-timeout", "1"})), 2, {"--idle-timeout", "--udp"}));
}

// Holds a port with a socket of our own (listening for TCP, bound for UDP)
// and returns it.
eddy::UniqueFd hold_loopback_port(int type, std::string& port) {
  eddy::UniqueFd holder(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  EXPECT_EQ(::bind(holder.get(), reinterpret_cast<sockaddr*>(&address), size), 0);
  if (type == SOCK_STREAM) {
    EXPECT_EQ(::listen(holder.get(), 1), 0);
  }
  EXPECT_EQ(::getsockname(holder.get(), reinterpret_cast<sockaddr*>(&address), &size), 0);
  port = std::to_string(ntohs(address.sin_port));
  return holder;
}

TEST_F(EchoCli, UdpAddressInUseIsARuntimeErrorNamingTheAddress) {
  std::string port;
  const eddy::UniqueFd holder = hold_loopback_port(SOCK_DGRAM, port);
  const EchoRun run = run_echo(with_backend({"--udp", "--bind", "127.0.0.1", "--port", port}));
  EXPECT_TRUE(fails_with_one_line(run, 1, {"cannot listen on udp 127.0.0.1:" + port, "Address already in use"}));
}

TEST_F(EchoCli, AddressInUseIsARuntimeErrorNamingTheAddress) {
  std::string port;
  const eddy::UniqueFd holder = hold_loopback_port(SOCK_STREAM, port);

  const EchoRun run = run_echo(with_backend({"--bind", "127.0.0.1", "--port", port}));
  EXPECT_TRUE(fails_with_one_line(run, 1, {"cannot listen on 127.0.0.1:" + port, "Address already in use"}));
}

}  // namespace
}  // namespace echo_test
