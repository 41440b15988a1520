// Interrupting eddy-load: the first SIGINT (or SIGTERM) mid-run stops the
// load, prints the summary of what was measured, marked as interrupted, and
// exits with 128 + signo; a second one exits at once, printing nothing more.

#include "echo_fixture.hpp"
#include "echo_process.hpp"
#include "load_process.hpp"
#include "misbehaving_server.hpp"

#include <eddy/unique_fd.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::seconds;

using LoadInterrupt = EchoProcessTest;

// Long enough that only the signal can end the run within the test.
constexpr const char* kLongDuration = "30";
// How long a run goes before the signal: its start-up (exec, connect) is
// over well before, so the signal finds it measuring.
constexpr seconds kRunBeforeSignal{1};
// What the tests allow for the exit after the signal: the stop takes a
// fraction of a second against eddy-echo, at most ~3 s by design.
constexpr seconds kExitAfterSignal{8};

std::vector<std::string> against(const EchoServerProcess& server, std::vector<std::string> args) {
  args.insert(args.end(), {"--host", server.ip, "--port", std::to_string(server.port)});
  return args;
}

std::vector<std::string> against_port(std::uint16_t port, std::vector<std::string> args) {
  args.insert(args.end(), {"--host", "127.0.0.1", "--port", std::to_string(port)});
  return args;
}

// Lets `load` run for `time`; fails when it ended before (it would not be
// interrupted then, and its output says why).
::testing::AssertionResult keeps_running(ChildProcess& load, seconds time) {
  if (const std::optional<ExitStatus> status = load.wait_exit(deadline_in(time))) {
    return ::testing::AssertionFailure() << "eddy-load ended before the signal, with " << status->describe()
                                         << "; stderr:\n"
                                         << load.err() << "stdout:\n"
                                         << load.out();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult exited_with(const LoadRun& run, int code) {
  if (!run.status) {
    return ::testing::AssertionFailure() << "eddy-load did not exit in time after the signal; stderr:\n" << run.err;
  }
  if (!run.status->exited_with(code)) {
    return ::testing::AssertionFailure() << "expected exit code " << code << ", got " << run.status->describe()
                                         << "; stderr:\n"
                                         << run.err << "stdout:\n"
                                         << run.out;
  }
  return ::testing::AssertionSuccess();
}

// The figure after the label of the table's "messages" line; nullopt when
// there is no such line.
std::optional<double> table_messages(const std::string& out) {
  for (const std::string& line : lines_of(out)) {
    const std::string label = "  messages ";
    if (line.starts_with(label)) {
      return std::strtod(line.c_str() + label.size(), nullptr);
    }
  }
  return std::nullopt;
}

// A listener that never accepts, with a backlog of 0: the kernel completes
// one handshake into the full queue, and drops the SYNs of every further
// connection, which then stay "connecting" until their timeout.
class NeverAcceptingListener {
 public:
  NeverAcceptingListener() {
    socket_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (!socket_ || ::bind(socket_.get(), reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::listen(socket_.get(), 0) != 0 ||
        ::getsockname(socket_.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      throw std::runtime_error(std::string("never-accepting listener: ") + std::strerror(errno));
    }
    port_ = ntohs(address.sin_port);
  }

  std::uint16_t port() const noexcept { return port_; }

 private:
  eddy::UniqueFd socket_;
  std::uint16_t port_ = 0;
};

TEST_F(LoadInterrupt, SigintMidRunPrintsTheTableMarkedInterruptedAndExits130) {
  EchoServerProcess server = start_echo_server();
  ChildProcess load = start_load(against(server, {"--duration", kLongDuration, "-c", "4"}));
  ASSERT_TRUE(keeps_running(load, kRunBeforeSignal));
  load.send_signal(SIGINT);
  const LoadRun run = wait_load(load, deadline_in(kExitAfterSignal));
  ASSERT_TRUE(exited_with(run, 130));
  EXPECT_NE(run.out.find("  interrupted      by SIGINT after "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(" of 30 s\n"), std::string::npos) << run.out;
  for (const char* label : {"measured", "latency (us)", "errors", "generator CPU"}) {
    EXPECT_NE(run.out.find(label), std::string::npos) << label << " missing from:\n" << run.out;
  }
  EXPECT_GT(table_messages(run.out).value_or(0), 0) << run.out;
  EXPECT_NE(run.err.find("eddy-load: interrupted by SIGINT: stopping"), std::string::npos) << run.err;
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadInterrupt, SigintWithJsonOnTwoThreadsPrintsTheObjectMarkedInterruptedAndExits130) {
  EchoServerProcess server = start_echo_server();
  ChildProcess load = start_load(against(server, {"--duration", kLongDuration, "-c", "4", "--threads", "2", "--json"}));
  ASSERT_TRUE(keeps_running(load, kRunBeforeSignal));
  load.send_signal(SIGINT);
  const LoadRun run = wait_load(load, deadline_in(kExitAfterSignal));
  ASSERT_TRUE(exited_with(run, 130));
  const std::vector<std::string> out = lines_of(run.out);
  ASSERT_EQ(out.size(), 1U) << run.out;
  EXPECT_TRUE(out[0].starts_with("{") && out[0].ends_with("}")) << run.out;
  EXPECT_NE(run.out.find("\"interrupted\":true"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"interrupted_by\":\"SIGINT\""), std::string::npos) << run.out;
  EXPECT_EQ(json_number(run.out, "threads"), 2);
  EXPECT_GT(json_number(run.out, "messages").value_or(0), 0) << run.out;
  EXPECT_GT(json_number(run.out, "duration").value_or(0), 0) << run.out;
  EXPECT_LT(json_number(run.out, "duration").value_or(30), 30) << run.out;
  for (const char* kind : {"connect", "reset", "mismatch", "timeout"}) {
    EXPECT_EQ(json_number(run.out, kind, "errors"), 0) << kind << ": " << run.out;
  }
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadInterrupt, SigtermMidRunIsAnInterruptTooAndExits143) {
  EchoServerProcess server = start_echo_server();
  ChildProcess load = start_load(against(server, {"--duration", kLongDuration, "-c", "2", "--json"}));
  ASSERT_TRUE(keeps_running(load, kRunBeforeSignal));
  load.send_signal(SIGTERM);
  const LoadRun run = wait_load(load, deadline_in(kExitAfterSignal));
  ASSERT_TRUE(exited_with(run, 143));
  EXPECT_NE(run.out.find("\"interrupted\":true"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"interrupted_by\":\"SIGTERM\""), std::string::npos) << run.out;
  EXPECT_GT(json_number(run.out, "messages").value_or(0), 0) << run.out;
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadInterrupt, SigintDuringTheWarmupPrintsZeroMessagesAndExits130) {
  EchoServerProcess server = start_echo_server();
  ChildProcess load = start_load(against(server, {"--warmup", kLongDuration, "--duration", kLongDuration, "-c", "2"}));
  ASSERT_TRUE(keeps_running(load, kRunBeforeSignal));
  load.send_signal(SIGINT);
  const LoadRun run = wait_load(load, deadline_in(kExitAfterSignal));
  ASSERT_TRUE(exited_with(run, 130));
  EXPECT_NE(run.out.find("  interrupted      by SIGINT during the warmup: nothing measured\n"), std::string::npos)
      << run.out;
  EXPECT_EQ(table_messages(run.out), 0) << run.out;
  // Zero messages is what the operator asked for, not a server that does
  // not answer.
  EXPECT_EQ(run.err.find("no message came back"), std::string::npos) << run.err;
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(LoadInterrupt, SigintWhileConnectingPrintsWhatThereIsAndExits130) {
  const NeverAcceptingListener listener;
  ChildProcess load =
      start_load(against_port(listener.port(), {"--duration", kLongDuration, "-c", "4", "--connect-timeout", "60000"}));
  ASSERT_TRUE(keeps_running(load, kRunBeforeSignal));
  load.send_signal(SIGINT);
  const LoadRun run = wait_load(load, deadline_in(kExitAfterSignal));
  ASSERT_TRUE(exited_with(run, 130));
  EXPECT_NE(run.out.find("  interrupted      by SIGINT while connecting: nothing measured\n"), std::string::npos)
      << run.out;
  EXPECT_EQ(table_messages(run.out), 0) << run.out;
  // The attempts cannot be cancelled: eddy-load says so and leaves them.
  EXPECT_NE(run.err.find("eddy-load: connect attempts still under way after the interrupt; exiting"), std::string::npos)
      << run.err;
}

TEST_F(LoadInterrupt, SecondSigintExitsAtOnceWithoutWaitingForTheDrain) {
  // The server never answers, so the first signal's stop waits out the
  // drain timeout (1 s) for messages that never come back; the second
  // signal, sent as soon as the first has been taken, does not wait.
  MisbehavingServer server(MisbehavingServer::Behaviour::kBlackHole, 0);
  ChildProcess load = start_load(against_port(server.port(), {"--duration", kLongDuration, "-c", "3", "-d", "4"}));
  ASSERT_TRUE(keeps_running(load, kRunBeforeSignal));
  load.send_signal(SIGINT);
  ASSERT_TRUE(load.wait_for_stderr_line("eddy-load: interrupted by SIGINT: stopping", deadline_in(kExitAfterSignal)))
      << load.err();
  load.send_signal(SIGINT);
  const LoadRun run = wait_load(load, deadline_in(kExitAfterSignal));
  ASSERT_TRUE(exited_with(run, 130));
  EXPECT_NE(run.err.find("eddy-load: second signal (SIGINT): exiting at once\n"), std::string::npos) << run.err;
  // Had it waited for the drain, the summary would be on stdout.
  EXPECT_EQ(run.out, "") << run.out;
}

}  // namespace
}  // namespace echo_test
