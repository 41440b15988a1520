// No port shared by accident: a second server on eddy-echo's port fails
// with "Address already in use" and exit code 1, whoever it is (another
// eddy-echo, or a Python socket with SO_REUSEPORT), and a newcomer cannot
// join a running eddy-echo's port either. TCP and UDP. --reuse-port is the
// explicit opt-in that lets processes share a port.

#include "child_process.hpp"
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

using EchoPort = EchoProcessTest;

// A Python socket with SO_REUSEPORT set, bound to 127.0.0.1:PORT (0: any
// free port; TCP sockets listen). It prints "bound PORT" or "failed ERRNO"
// on stderr, then holds the socket until killed.
constexpr const char* kReusePortSocket = R"(
import socket, sys, time
kind = socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET, kind)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[2])))
    if kind == socket.SOCK_STREAM:
        s.listen(16)
except OSError as e:
    print("failed", e.errno, flush=True, file=sys.stderr)
    sys.exit(1)
print("bound", s.getsockname()[1], flush=True, file=sys.stderr)
time.sleep(60)
)";

constexpr int kEaddrinuse = 98;

struct PythonSocket {
  ChildProcess process;
  bool bound = false;
  std::string port;  // the bound port, or empty
  std::string error;  // the errno it failed with, or empty
};

PythonSocket python_reuse_port_socket(const char* kind, const std::string& port) {
  PythonSocket socket{ChildProcess::spawn("/usr/bin/env", {"python3", "-c", kReusePortSocket, kind, port}), false, {}, {}};
  const bool answered = socket.process.wait_for_stderr(
      [](const std::string& err) { return err.find('\n') != std::string::npos; }, deadline_in(seconds(10)));
  const std::string& err = socket.process.err();
  if (answered && err.starts_with("bound ")) {
    socket.bound = true;
    socket.port = err.substr(6, err.find('\n') - 6);
  } else if (answered && err.starts_with("failed ")) {
    socket.error = err.substr(7, err.find('\n') - 7);
  } else {
    ADD_FAILURE() << "python3 did not report on its socket: " << err;
  }
  return socket;
}

std::vector<std::string> on_port(std::uint16_t port, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--bind", "127.0.0.1", "--port", std::to_string(port)};
  args.insert(args.end(), extra.begin(), extra.end());
  return with_backend(args);
}

void expect_tcp_echo(const EchoServerProcess& server) {
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(5)));
  EXPECT_EQ(client.exchange("still mine", deadline_in(seconds(5))), "still mine");
}

TEST_F(EchoPort, ASecondEchoServerOnTheSamePortFailsAndTheFirstKeepsServing) {
  EchoServerProcess first = start_echo_server("127.0.0.1", {"--threads", "2"});
  const std::string address = "127.0.0.1:" + std::to_string(first.port);

  EXPECT_TRUE(fails_with_one_line(run_echo(on_port(first.port)), 1,
                                  {"cannot listen on " + address, "Address already in use"}));
  // Asking to share does not help the newcomer: the first did not offer.
  EXPECT_TRUE(fails_with_one_line(run_echo(on_port(first.port, {"--reuse-port", "--threads", "2"})), 1,
                                  {"cannot listen on " + address, "Address already in use"}));
  expect_tcp_echo(first);
  EXPECT_TRUE(exits_cleanly_on(first));
}

TEST_F(EchoPort, ASecondUdpEchoServerOnTheSamePortFails) {
  EchoServerProcess first = start_echo_server("127.0.0.1", {"--udp"});
  const std::string address = "udp 127.0.0.1:" + std::to_string(first.port);

  EXPECT_TRUE(fails_with_one_line(run_echo(on_port(first.port, {"--udp"})), 1,
                                  {"cannot listen on " + address, "Address already in use"}));
  EXPECT_TRUE(fails_with_one_line(run_echo(on_port(first.port, {"--udp", "--reuse-port"})), 1,
                                  {"cannot listen on " + address, "Address already in use"}));
  UdpClient client = UdpClient::connect(first.ip, first.port);
  EXPECT_EQ(client.echo("still mine", deadline_in(seconds(5))), "still mine");
  EXPECT_TRUE(exits_cleanly_on(first));
}

TEST_F(EchoPort, APythonListenerWithReusePortMakesEddyEchoFail) {
  PythonSocket holder = python_reuse_port_socket("tcp", "0");
  ASSERT_TRUE(holder.bound);
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--bind", "127.0.0.1", "--port", holder.port})), 1,
                                  {"cannot listen on 127.0.0.1:" + holder.port, "Address already in use"}));
}

TEST_F(EchoPort, APythonUdpSocketWithReusePortMakesEddyEchoFail) {
  PythonSocket holder = python_reuse_port_socket("udp", "0");
  ASSERT_TRUE(holder.bound);
  EXPECT_TRUE(fails_with_one_line(run_echo(with_backend({"--udp", "--bind", "127.0.0.1", "--port", holder.port})), 1,
                                  {"cannot listen on udp 127.0.0.1:" + holder.port, "Address already in use"}));
}

TEST_F(EchoPort, APythonListenerWithReusePortCannotJoinARunningEddyEcho) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--threads", "2"});
  PythonSocket newcomer = python_reuse_port_socket("tcp", std::to_string(server.port));
  EXPECT_FALSE(newcomer.bound) << "a SO_REUSEPORT listener joined eddy-echo's port";
  EXPECT_EQ(newcomer.error, std::to_string(kEaddrinuse));
  expect_tcp_echo(server);
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(EchoPort, APythonUdpSocketWithReusePortCannotJoinARunningEddyEcho) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--udp"});
  PythonSocket newcomer = python_reuse_port_socket("udp", std::to_string(server.port));
  EXPECT_FALSE(newcomer.bound) << "a SO_REUSEPORT socket joined eddy-echo's UDP port";
  EXPECT_EQ(newcomer.error, std::to_string(kEaddrinuse));
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(EchoPort, ReusePortOnBothLetsTwoEchoServersShareThePort) {
  EchoServerProcess first = start_echo_server("127.0.0.1", {"--threads", "2", "--reuse-port"});
  ChildProcess second = ChildProcess::spawn(EDDY_ECHO_PATH, on_port(first.port, {"--threads", "2", "--reuse-port"}));
  EXPECT_TRUE(second.wait_for_stderr_line("listening on", deadline_in(seconds(10)))) << second.err();
  PythonSocket third = python_reuse_port_socket("tcp", std::to_string(first.port));
  EXPECT_TRUE(third.bound) << "--reuse-port is meant to let other processes join; python3 said: " << third.error;
  third.process.kill_and_reap();
  expect_tcp_echo(first);
  EXPECT_TRUE(exits_cleanly_on(first));
  second.send_signal(SIGTERM);
  const std::optional<ExitStatus> status = second.wait_exit(deadline_in(seconds(10)));
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited_with(0)) << status->describe();
}

TEST_F(EchoPort, UdpReusePortOnBothLetsTwoEchoServersShareThePort) {
  EchoServerProcess first = start_echo_server("127.0.0.1", {"--udp", "--reuse-port"});
  ChildProcess second = ChildProcess::spawn(EDDY_ECHO_PATH, on_port(first.port, {"--udp", "--reuse-port"}));
  EXPECT_TRUE(second.wait_for_stderr_line("listening on", deadline_in(seconds(10)))) << second.err();
  EXPECT_TRUE(exits_cleanly_on(first));
  second.send_signal(SIGTERM);
  const std::optional<ExitStatus> status = second.wait_exit(deadline_in(seconds(10)));
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited_with(0)) << status->describe();
}

}  // namespace
}  // namespace echo_test
