// eddy-load end to end: against a real eddy-echo it measures and reports no
// error; against servers that corrupt, drop or ignore it, it says what went
// wrong on one line, exits non-zero, and never hangs.

#include "echo_fixture.hpp"
#include "echo_process.hpp"
#include "load_process.hpp"
#include "misbehaving_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::seconds;

using LoadAgainstEcho = EchoProcessTest;
using LoadAgainstMisbehavingServer = EchoProcessTest;

// The only line eddy-load may print on stderr after a clean run: on a busy
// machine the generator can be the bottleneck, and saying so is right.
constexpr const char* kBusyWarning = "eddy-load: generator above 90% CPU: figures may be limited by the generator";

::testing::AssertionResult clean_json_run(const LoadRun& run) {
  if (!run.status) {
    return ::testing::AssertionFailure() << "eddy-load did not exit; stderr:\n" << run.err;
  }
  if (!run.status->exited_with(0)) {
    return ::testing::AssertionFailure() << "eddy-load ended with " << run.status->describe() << "; stderr:\n"
                                         << run.err << "stdout:\n"
                                         << run.out;
  }
  for (const std::string& line : lines_of(run.err)) {
    if (line != kBusyWarning) {
      return ::testing::AssertionFailure() << "unexpected stderr line: " << line;
    }
  }
  const std::vector<std::string> out = lines_of(run.out);
  if (out.size() != 1 || !out[0].starts_with("{") || !out[0].ends_with("}")) {
    return ::testing::AssertionFailure() << "expected one JSON object on stdout, got:\n" << run.out;
  }
  for (const char* kind : {"connect", "reset", "mismatch", "timeout"}) {
    if (json_number(run.out, kind, "errors") != 0.0) {
      return ::testing::AssertionFailure() << "errors." << kind << " is not 0: " << run.out;
    }
  }
  return ::testing::AssertionSuccess();
}

std::vector<std::string> against(const EchoServerProcess& server, std::vector<std::string> args) {
  args.insert(args.end(), {"--host", server.ip, "--port", std::to_string(server.port)});
  return args;
}

std::vector<std::string> against(const MisbehavingServer& server, std::vector<std::string> args) {
  args.insert(args.end(), {"--host", "127.0.0.1", "--port", std::to_string(server.port())});
  return args;
}

TEST_F(LoadAgainstEcho, PingPongForASecondVerifiesEveryMessageWithoutError) {
  EchoServerProcess server = start_echo_server();
  const LoadRun run = run_load(against(server, {"--duration", "1", "-c", "10", "-d", "1", "--json"}));
  ASSERT_TRUE(clean_json_run(run));
  EXPECT_GT(json_number(run.out, "messages").value_or(0), 0);
  EXPECT_EQ(json_number(run.out, "connections"), 10);
  EXPECT_EQ(json_number(run.out, "open_connections"), 10);
  EXPECT_EQ(json_number(run.out, "depth"), 1);
  EXPECT_EQ(json_number(run.out, "size"), 64);
  EXPECT_GT(json_number(run.out, "p50", "latency_us").value_or(0), 0);
  EXPECT_LE(json_number(run.out, "p50", "latency_us").value_or(0), json_number(run.out, "max", "latency_us").value_or(0));
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadAgainstEcho, SixteenMessagesInFlightPerConnectionVerifyWithoutError) {
  EchoServerProcess server = start_echo_server();
  const LoadRun run = run_load(against(server, {"--duration", "1", "-c", "10", "-d", "16", "--json"}));
  ASSERT_TRUE(clean_json_run(run));
  EXPECT_GT(json_number(run.out, "messages").value_or(0), 0);
  EXPECT_EQ(json_number(run.out, "depth"), 16);
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadAgainstEcho, LargeMessagesOnTwoThreadsVerifyWithoutError) {
  EchoServerProcess server = start_echo_server();
  const LoadRun run =
      run_load(against(server, {"--duration", "1", "-c", "5", "-d", "4", "-s", "16384", "--threads", "2", "--json"}));
  ASSERT_TRUE(clean_json_run(run));
  EXPECT_GT(json_number(run.out, "messages").value_or(0), 0);
  EXPECT_EQ(json_number(run.out, "threads"), 2);
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadAgainstEcho, MessageCountStopsAtExactlyThatCount) {
  EchoServerProcess server = start_echo_server();
  const LoadRun run = run_load(against(server, {"--messages", "1000", "-c", "7", "-d", "3", "--json"}));
  ASSERT_TRUE(clean_json_run(run));
  EXPECT_EQ(json_number(run.out, "messages"), 1000);
  EXPECT_EQ(json_number(run.out, "bytes"), 64000);
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadAgainstEcho, FixedRateSendsNoMoreThanScheduled) {
  EchoServerProcess server = start_echo_server();
  const LoadRun run = run_load(against(server, {"--duration", "1", "-c", "4", "--rate", "2000", "--json"}));
  ASSERT_TRUE(clean_json_run(run));
  const double messages = json_number(run.out, "messages").value_or(0);
  const double duration = json_number(run.out, "duration").value_or(0);
  EXPECT_GT(messages, 0);
  // The schedule allows rate x time, plus one message per connection at the
  // start; a property of the schedule, not a timing.
  EXPECT_LE(messages, 2000 * duration + 4 + 1) << run.out;
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadAgainstEcho, WarmupIsLeftOutAndTheRunStillMeasures) {
  EchoServerProcess server = start_echo_server();
  const LoadRun run = run_load(against(server, {"--warmup", "0.5", "--duration", "0.5", "-c", "4", "--json"}));
  ASSERT_TRUE(clean_json_run(run));
  EXPECT_GT(json_number(run.out, "messages").value_or(0), 0);
  EXPECT_EQ(json_number(run.out, "warmup"), 0.5);
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadAgainstEcho, ServerPidAddsTheServersCpuTimePerMessage) {
  EchoServerProcess server = start_echo_server();
  const LoadRun run = run_load(
      against(server, {"--duration", "1", "-c", "4", "--json", "--server-pid", std::to_string(server.process.pid())}));
  ASSERT_TRUE(clean_json_run(run));
  EXPECT_GE(json_number(run.out, "server_cpu_seconds").value_or(-1), 0);
  EXPECT_GE(json_number(run.out, "server_cpu_us_per_msg").value_or(-1), 0);
  EXPECT_GE(json_number(run.out, "generator_cpu_percent").value_or(-1), 0);
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadAgainstEcho, TableGoesToStdoutWithEveryFigure) {
  EchoServerProcess server = start_echo_server();
  const LoadRun run = run_load(against(server, {"--duration", "0.5", "-c", "2"}));
  ASSERT_TRUE(run.status && run.status->exited_with(0)) << run.err;
  for (const char* label : {"messages", "msg/s", "MB/s", "p50", "p90", "p99", "p99.9", "max", "errors", "connect",
                            "reset", "mismatch", "timeout", "generator CPU"}) {
    EXPECT_NE(run.out.find(label), std::string::npos) << label << " missing from:\n" << run.out;
  }
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadAgainstEcho, UdpEchoVerifiesEveryDatagram) {
  const EchoRun help = run_echo({"--help"});
  if (help.out.find("--udp") == std::string::npos) {
    GTEST_SKIP() << "eddy-echo has no --udp yet; eddy-load's UDP mode is tested once it has";
  }
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--udp"});
  const LoadRun run = run_load(against(server, {"--udp", "--duration", "1", "-c", "4", "-d", "4", "--json"}));
  ASSERT_TRUE(run.status && run.status->exited_with(0)) << run.err;
  EXPECT_GT(json_number(run.out, "messages").value_or(0), 0);
  EXPECT_EQ(json_number(run.out, "mismatch", "errors"), 0);
  EXPECT_NE(run.out.find("\"protocol\":\"udp\""), std::string::npos);
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadAgainstMisbehavingServer, AFlippedByteIsAMismatchNamingConnectionAndOffset) {
  MisbehavingServer server(MisbehavingServer::Behaviour::kFlipByte, 100);
  const LoadRun run = run_load(against(server, {"--duration", "1", "-c", "2", "-d", "2", "--json"}));
  ASSERT_TRUE(run.status) << "eddy-load did not exit";
  EXPECT_TRUE(run.status->exited_with(1)) << run.status->describe() << "\n" << run.err;
  EXPECT_EQ(json_number(run.out, "mismatch", "errors"), 2) << run.out;
  EXPECT_NE(run.err.find("eddy-load: echo differs from what was sent: 2 mismatches; first on connection "),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("at byte offset 100 "), std::string::npos) << run.err;
}

TEST_F(LoadAgainstMisbehavingServer, AServerClosingConnectionsMidRunIsCountedAndFails) {
  MisbehavingServer server(MisbehavingServer::Behaviour::kCloseAfter, 64 * 100 + 10);
  const LoadRun run = run_load(against(server, {"--duration", "2", "-c", "3", "--json"}));
  ASSERT_TRUE(run.status) << "eddy-load did not exit";
  EXPECT_TRUE(run.status->exited_with(1)) << run.status->describe() << "\n" << run.err;
  EXPECT_EQ(json_number(run.out, "reset", "errors"), 3) << run.out;
  EXPECT_EQ(json_number(run.out, "mismatch", "errors"), 0) << run.out;
  EXPECT_NE(run.err.find("eddy-load: 3 connections to 127.0.0.1:" + std::to_string(server.port()) +
                         " ended during the run: "),
            std::string::npos)
      << run.err;
}

TEST_F(LoadAgainstMisbehavingServer, AServerThatNeverAnswersEndsTheRunOnTimeAndFails) {
  MisbehavingServer server(MisbehavingServer::Behaviour::kBlackHole, 0);
  // Duration 1 s, plus the drain timeout after the stop: well within 15 s.
  const LoadRun run = run_load(against(server, {"--duration", "1", "-c", "3", "-d", "4"}), seconds(15));
  ASSERT_TRUE(run.status) << "eddy-load hung past its duration";
  EXPECT_TRUE(run.status->exited_with(1)) << run.status->describe() << "\n" << run.err;
  EXPECT_NE(run.err.find("eddy-load: no message came back from 127.0.0.1:"), std::string::npos) << run.err;
}

TEST_F(LoadAgainstMisbehavingServer, AServerThatNeverAnswersACountedRunStopsAsStalled) {
  MisbehavingServer server(MisbehavingServer::Behaviour::kBlackHole, 0);
  // No --duration: the stall timeout (10 s) ends it.
  const LoadRun run = run_load(against(server, {"--messages", "100", "-c", "2"}), seconds(30));
  ASSERT_TRUE(run.status) << "eddy-load hung";
  EXPECT_TRUE(run.status->exited_with(1)) << run.status->describe() << "\n" << run.err;
  EXPECT_NE(run.err.find("eddy-load: no reply from 127.0.0.1:"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace echo_test
