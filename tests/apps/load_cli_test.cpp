// eddy-load's command line and start-up failures: --help, --version, one
// clear line on stderr with exit code 2 for a usage error, 1 for a server
// that cannot be reached.

#include "echo_fixture.hpp"
#include "load_process.hpp"
#include "tcp_client.hpp"

#include <eddy/version.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace echo_test {
namespace {

using LoadCli = EchoProcessTest;

// The run ended with `code` and wrote exactly one line on stderr, prefixed
// "eddy-load: " and containing each of `mentions`.
::testing::AssertionResult fails_with_one_line(const LoadRun& run, int code, const std::vector<std::string>& mentions) {
  if (!run.status) {
    return ::testing::AssertionFailure() << "eddy-load did not exit; stderr:\n" << run.err;
  }
  if (!run.status->exited_with(code)) {
    return ::testing::AssertionFailure() << "expected exit code " << code << ", got " << run.status->describe()
                                         << "; stderr:\n"
                                         << run.err;
  }
  const bool one_line = !run.err.empty() && run.err.find('\n') == run.err.size() - 1;
  if (!one_line || !run.err.starts_with("eddy-load: ")) {
    return ::testing::AssertionFailure() << "expected one line starting with \"eddy-load: \", got:\n" << run.err;
  }
  for (const std::string& mention : mentions) {
    if (run.err.find(mention) == std::string::npos) {
      return ::testing::AssertionFailure() << "stderr does not mention \"" << mention << "\": " << run.err;
    }
  }
  return ::testing::AssertionSuccess();
}

TEST_F(LoadCli, HelpListsTheFlagsAndExitsZero) {
  const LoadRun run = run_load({"--help"});
  ASSERT_TRUE(run.status && run.status->exited_with(0)) << run.err;
  for (const char* flag : {"--host", "--port", "--connections", "--depth", "--size", "--duration", "--messages",
                           "--rate", "--udp", "--threads", "--backend", "--warmup", "--json", "--server-pid",
                           "--connect-timeout", "--version", "--help"}) {
    EXPECT_NE(run.out.find(flag), std::string::npos) << flag << " missing from:\n" << run.out;
  }
}

TEST_F(LoadCli, VersionPrintsTheLibraryVersionAndExitsZero) {
  const LoadRun run = run_load({"--version"});
  ASSERT_TRUE(run.status && run.status->exited_with(0)) << run.err;
  EXPECT_EQ(run.out, std::string("eddy-load ") + EDDY_VERSION_STRING + "\n");
}

TEST_F(LoadCli, RefusedPortExitsOneWithOneLineNamingHostPortAndError) {
  const std::uint16_t port = pick_free_port("127.0.0.1");
  const LoadRun run = run_load({"--port", std::to_string(port), "-c", "5", "--duration", "1"});
  EXPECT_TRUE(fails_with_one_line(
      run, 1, {"cannot connect to 127.0.0.1:" + std::to_string(port), "Connection refused", "5 of 5 connections"}));
  EXPECT_EQ(run.out, "");
}

TEST_F(LoadCli, RefusedPortWithJsonStillPrintsTheObjectWithConnectErrors) {
  const std::uint16_t port = pick_free_port("127.0.0.1");
  const LoadRun run = run_load({"--port", std::to_string(port), "-c", "3", "--json"});
  EXPECT_TRUE(fails_with_one_line(run, 1, {"Connection refused"}));
  EXPECT_EQ(json_number(run.out, "connect", "errors"), 3) << run.out;
}

struct UsageCase {
  std::string name;  // the test's name: stable, unlike a printout of the arguments
  std::vector<std::string> args;
  std::vector<std::string> mentions;
};

class LoadUsage : public LoadCli, public ::testing::WithParamInterface<UsageCase> {};

TEST_P(LoadUsage, IsAUsageErrorOnOneLine) {
  EXPECT_TRUE(fails_with_one_line(run_load(GetParam().args), 2, GetParam().mentions));
}

INSTANTIATE_TEST_SUITE_P(
    BadFlags, LoadUsage,
    ::testing::Values(UsageCase{"UnknownFlag", {"--nope"}, {"--nope"}},
                      UsageCase{"PortZero", {"--port", "0"}, {"--port"}},
                      UsageCase{"PortAbove65535", {"--port", "70000"}, {"--port"}},
                      UsageCase{"NonNumericConnections", {"-c", "abc"}, {"abc"}},
                      UsageCase{"ZeroConnections", {"--connections", "0"}, {"--connections"}},
                      UsageCase{"ZeroSize", {"--size", "0"}, {"--size"}},
                      UsageCase{"ZeroDepth", {"--depth", "0"}, {"--depth"}},
                      UsageCase{"ZeroDuration", {"--duration", "0"}, {"--duration"}},
                      UsageCase{"NegativeRate", {"--rate", "-1"}, {"--rate"}},
                      UsageCase{"UdpMessageShorterThanItsHeader", {"--udp", "--size", "4"}, {"--size", "12"}},
                      UsageCase{"CountWithWarmup", {"--messages", "10", "--warmup", "1"}, {"--warmup"}},
                      UsageCase{"HostName", {"--host", "example.com"}, {"--host", "example.com"}},
                      UsageCase{"UnknownBackend", {"--backend", "kqueue"}, {"--backend"}},
                      UsageCase{"MissingServerPid",
                                {"--server-pid", "8388608"},
                                {"--server-pid", "No such file or directory"}}),
    [](const ::testing::TestParamInfo<UsageCase>& usage) { return usage.param.name; });

}  // namespace
}  // namespace echo_test
