// End-to-end tests of examples/legacy-echo: the server written against the
// libevent 1.4 API, started as a child process on a free loopback port and
// driven over real sockets. The same tests run against the build on eddy's
// compat layer and against the one on Debian's libevent, so a failure on
// one only is a difference between the two.
//
// LEGACY_ECHO_PATH is the server under test and LEGACY_ECHO_SUITE the test
// suite's name, which tells the two apart in ctest's list.

#include "child_process.hpp"
#include "cpu_usage.hpp"
#include "deadline.hpp"
#include "tcp_client.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Generous: under AddressSanitizer on a loaded machine a start takes a while.
constexpr auto kStartTimeout = seconds(20);
constexpr auto kExitTimeout = seconds(10);
constexpr int kPortAttempts = 5;

// The server's own bound on what it queues for one connection (QUEUE_LIMIT
// in legacy_echo.c) is 1 MiB; a client that does not read must be stopped
// by TCP flow control long before this.
constexpr std::size_t kUnboundedBytes = 128 * 1024 * 1024;

struct Server {
  ChildProcess process;
  std::string ip;
  std::uint16_t port = 0;
};

// Starts the server on a free port of 127.0.0.1 and waits for its
// "listening on" line, trying another port when the chosen one was taken
// in the meantime.
Server start_server() {
  const std::string ip = "127.0.0.1";
  std::string failures;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    const std::uint16_t port = pick_free_port(ip);
    Server server{ChildProcess::spawn(LEGACY_ECHO_PATH, {"--bind", ip, "--port", std::to_string(port)}), ip, port};
    if (server.process.wait_for_stderr_line("listening on", deadline_in(kStartTimeout))) {
      return server;
    }
    server.process.wait_exit(deadline_in(seconds(5)));
    failures += "port " + std::to_string(port) + ": " + server.process.err();
    if (server.process.err().find("Address already in use") == std::string::npos) {
      break;  // a real failure, not a lost race for the port
    }
  }
  throw std::runtime_error(std::string(LEGACY_ECHO_PATH) + " did not start listening: " + failures);
}

struct FinishedRun {
  std::optional<ExitStatus> status;  // nullopt: it did not exit in time
  std::string out;
  std::string err;
};

// Runs the server with `args` to completion (or kills it at the deadline).
FinishedRun run_server(const std::vector<std::string>& args) {
  ChildProcess process = ChildProcess::spawn(LEGACY_ECHO_PATH, args);
  FinishedRun run;
  run.status = process.wait_exit(deadline_in(kExitTimeout));
  run.out = process.out();
  run.err = process.err();
  return run;
}

// Stops the server with `signo` and checks that it exits with code 0 in
// time. Under AddressSanitizer this is also the leak check of every
// connection the test opened.
::testing::AssertionResult exits_cleanly_on(Server& server, int signo) {
  server.process.send_signal(signo);
  const std::optional<ExitStatus> status = server.process.wait_exit(deadline_in(kExitTimeout));
  if (!status) {
    return ::testing::AssertionFailure() << "still running " << kExitTimeout.count() << " s after signal " << signo
                                         << "; stderr:\n"
                                         << server.process.err();
  }
  if (!status->exited_with(0)) {
    return ::testing::AssertionFailure() << "ended with " << status->describe() << " after signal " << signo
                                         << "; stderr:\n"
                                         << server.process.err();
  }
  return ::testing::AssertionSuccess();
}

// `size` pseudo-random bytes with zeros and newlines among them, so that a
// server treating data as text (strlen, line splitting) fails.
std::string random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::string bytes(size, '\0');
  for (char& byte : bytes) {
    byte = static_cast<char>(generator() & 0xFF);
  }
  if (size > 2) {
    bytes[0] = '\0';
    bytes[size / 2] = '\0';
    bytes[size - 1] = '\n';
  }
  return bytes;
}

// Compares byte strings without printing megabytes on failure.
::testing::AssertionResult same_bytes(const std::string& expected, const std::string& actual) {
  if (expected == actual) {
    return ::testing::AssertionSuccess();
  }
  std::size_t offset = 0;
  while (offset < expected.size() && offset < actual.size() && expected[offset] == actual[offset]) {
    ++offset;
  }
  return ::testing::AssertionFailure() << "expected " << expected.size() << " bytes, got " << actual.size()
                                       << "; first difference at offset " << offset;
}

// Whether `client` has something to read (or was closed) within `timeout`.
bool readable_within(const TcpClient& client, milliseconds timeout) {
  const Deadline deadline = deadline_in(timeout);
  for (;;) {
    pollfd entry{client.fd(), POLLIN, 0};
    const int ready = ::poll(&entry, 1, poll_timeout_ms(deadline));
    if (ready > 0) {
      return true;
    }
    if (Clock::now() >= deadline) {
      return false;
    }
  }
}

int highest_open_fd(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    throw std::runtime_error("cannot list " + path);
  }
  int highest = -1;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') {
      highest = std::max(highest, std::atoi(entry->d_name));
    }
  }
  ::closedir(dir);
  return highest;
}

// User plus system CPU time of `pid` so far, in seconds (eddy-load's
// /proc/PID/stat reader).
double cpu_seconds(pid_t pid) {
  std::error_code error;
  const auto cpu = eddy_load::process_cpu_time(pid, error);
  return cpu ? std::chrono::duration<double>(*cpu).count() : 0.0;
}

class LEGACY_ECHO_SUITE : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_FALSE(has_unreaped_children()) << "a test left a child process behind"; }
};

TEST_F(LEGACY_ECHO_SUITE, EchoesEveryByteValueIncludingNul) {
  Server server = start_server();
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));

  std::string every_value(256, '\0');
  for (std::size_t i = 0; i < every_value.size(); ++i) {
    every_value[i] = static_cast<char>(i);
  }
  EXPECT_TRUE(same_bytes(every_value, client.exchange(every_value, deadline_in(seconds(10)))));

  // A message that is nothing but a NUL, then one that starts with NULs: a
  // strlen-based server would send nothing back for either.
  EXPECT_TRUE(same_bytes(std::string(1, '\0'), client.exchange(std::string(1, '\0'), deadline_in(seconds(10)))));
  const std::string mixed = std::string(3, '\0') + random_bytes(256 * 1024, 1);
  EXPECT_TRUE(same_bytes(mixed, client.exchange(mixed, deadline_in(seconds(20)))));
  EXPECT_TRUE(exits_cleanly_on(server, SIGTERM));
}

// 4 MiB fits in what loopback TCP buffers between the two sockets plus the
// server's 1 MiB queue (about 10 MiB on this kernel's defaults), so a client
// that sends everything before reading anything must neither block nor
// lose a byte.
TEST_F(LEGACY_ECHO_SUITE, FourMiBSentBeforeReadingComesBackWhole) {
  Server server = start_server();
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::string data = random_bytes(4 * 1024 * 1024, 2);
  client.send_all(data, deadline_in(seconds(30)));

  // Meanwhile the server still serves others.
  TcpClient other = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  EXPECT_EQ(other.exchange("ping", deadline_in(seconds(10))), "ping");

  EXPECT_TRUE(same_bytes(data, client.read_exact(data.size(), deadline_in(seconds(30)))));
  EXPECT_TRUE(exits_cleanly_on(server, SIGTERM));
}

// A client that sends without ever reading must be stopped by flow control
// (the server stops reading from it), not buffered without bound; once it
// reads, every byte it sent comes back in order.
TEST_F(LEGACY_ECHO_SUITE, ClientThatNeverReadsIsThrottledAndLosesNothing) {
  Server server = start_server();
  TcpClient stuck = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::size_t sent = send_until_blocked(stuck, kUnboundedBytes, deadline_in(seconds(60)));
  EXPECT_LT(sent, kUnboundedBytes) << "the server kept reading from a client that reads nothing";

  TcpClient other = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::string data = random_bytes(1024 * 1024, 3);
  EXPECT_TRUE(same_bytes(data, other.exchange(data, deadline_in(seconds(30)))));

  EXPECT_TRUE(same_bytes(flood_bytes(sent), stuck.read_exact(sent, deadline_in(seconds(60)))));
  EXPECT_TRUE(exits_cleanly_on(server, SIGTERM));
}

// 50 clients connected at once, their requests and echoes interleaved.
TEST_F(LEGACY_ECHO_SUITE, FiftyConcurrentClients) {
  constexpr std::size_t kClients = 50;
  constexpr std::size_t kPieces = 4;
  constexpr std::size_t kPieceSize = 16 * 1024;
  Server server = start_server();
  std::vector<TcpClient> clients;
  std::vector<std::string> payloads;
  for (std::size_t i = 0; i < kClients; ++i) {
    clients.push_back(TcpClient::connect(server.ip, server.port, deadline_in(seconds(10))));
    payloads.push_back(random_bytes(kPieces * kPieceSize, 100 + i));
  }
  // Every client sends a piece before any reads its echo, piece by piece, so
  // the server has all 50 connections active at the same time.
  for (std::size_t piece = 0; piece < kPieces; ++piece) {
    for (std::size_t i = 0; i < kClients; ++i) {
      clients[i].send_all(std::string_view(payloads[i]).substr(piece * kPieceSize, kPieceSize),
                          deadline_in(seconds(10)));
    }
    for (std::size_t i = 0; i < kClients; ++i) {
      const std::string expected = payloads[i].substr(piece * kPieceSize, kPieceSize);
      EXPECT_TRUE(same_bytes(expected, clients[i].read_exact(kPieceSize, deadline_in(seconds(20)))))
          << "client " << i << ", piece " << piece;
    }
  }
  EXPECT_TRUE(exits_cleanly_on(server, SIGTERM));
}

// A client resets (RST, by SO_LINGER {1, 0}) while the server holds output
// for it and two others are in the middle of their own streams: the others
// carry on as if nothing happened, and new clients are still accepted.
TEST_F(LEGACY_ECHO_SUITE, ClientResetMidStreamDoesNotDisturbOthers) {
  Server server = start_server();
  TcpClient first = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  TcpClient second = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::string first_data = random_bytes(512 * 1024, 4);
  const std::string second_data = random_bytes(512 * 1024, 5);
  const std::size_t half = first_data.size() / 2;
  EXPECT_TRUE(same_bytes(first_data.substr(0, half),
                         first.exchange(std::string_view(first_data).substr(0, half), deadline_in(seconds(20)))));
  EXPECT_TRUE(same_bytes(second_data.substr(0, half),
                         second.exchange(std::string_view(second_data).substr(0, half), deadline_in(seconds(20)))));

  for (int round = 0; round < 3; ++round) {
    TcpClient resetting = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
    send_until_blocked(resetting, kUnboundedBytes, deadline_in(seconds(60)));
    resetting.reset();
  }
  // Resets with nothing pending, and right after connecting, too.
  for (int round = 0; round < 3; ++round) {
    TcpClient resetting = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
    if (round == 0) {
      EXPECT_EQ(resetting.exchange("x", deadline_in(seconds(10))), "x");
    }
    resetting.reset();
  }

  EXPECT_TRUE(same_bytes(first_data.substr(half),
                         first.exchange(std::string_view(first_data).substr(half), deadline_in(seconds(20)))));
  EXPECT_TRUE(same_bytes(second_data.substr(half),
                         second.exchange(std::string_view(second_data).substr(half), deadline_in(seconds(20)))));
  TcpClient late = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  EXPECT_EQ(late.exchange("late", deadline_in(seconds(10))), "late");
  EXPECT_FALSE(server.process.has_exited()) << server.process.err();
  EXPECT_TRUE(exits_cleanly_on(server, SIGTERM));
}

// A client that shuts down its sending side still gets every byte echoed
// before the server closes the connection.
TEST_F(LEGACY_ECHO_SUITE, HalfClosedClientGetsEverythingThenEof) {
  Server server = start_server();
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::string data = random_bytes(2 * 1024 * 1024, 6);
  client.send_all(data, deadline_in(seconds(30)));
  client.shutdown_write();
  const TcpClient::Ending ending = client.read_until_closed(deadline_in(seconds(30)));
  EXPECT_FALSE(ending.reset);
  EXPECT_TRUE(same_bytes(data, ending.received));
  EXPECT_TRUE(exits_cleanly_on(server, SIGTERM));
}

// Out of descriptors, accept fails with EMFILE while the connection stays
// in the backlog and the listener stays readable: the server must back off
// instead of spinning, and serve that connection once a descriptor is free.
TEST_F(LEGACY_ECHO_SUITE, OutOfDescriptorsNeitherSpinsNorLosesTheWaitingClient) {
  Server server = start_server();
  std::vector<TcpClient> served;
  served.push_back(TcpClient::connect(server.ip, server.port, deadline_in(seconds(10))));
  ASSERT_EQ(served.back().exchange("a", deadline_in(seconds(10))), "a");

  const rlim_t cap = static_cast<rlim_t>(highest_open_fd(server.process.pid()) + 1);
  const rlimit limit{cap, cap};
  if (::prlimit(server.process.pid(), RLIMIT_NOFILE, &limit, nullptr) != 0) {
    GTEST_SKIP() << "cannot lower the server's descriptor limit (prlimit)";
  }
  std::optional<TcpClient> waiting;
  for (int i = 0; i < 64 && !waiting; ++i) {
    TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
    client.send_all("b", deadline_in(seconds(10)));
    if (readable_within(client, seconds(1))) {
      ASSERT_EQ(client.read_some(1, deadline_in(seconds(10))), "b");
      served.push_back(std::move(client));  // it took one of the last free descriptors
    } else {
      waiting.emplace(std::move(client));
    }
  }
  ASSERT_TRUE(waiting) << "every client was served under a descriptor limit of " << cap;
  EXPECT_TRUE(server.process.wait_for_stderr_line("accept", deadline_in(seconds(10)))) << server.process.err();

  // Waiting by draining its stderr, not by sleeping: a server that logs
  // every failed accept would otherwise block on a full pipe and look idle.
  const double before = cpu_seconds(server.process.pid());
  server.process.wait_for_stderr([](const std::string&) { return false; }, deadline_in(seconds(2)));
  const double used = cpu_seconds(server.process.pid()) - before;
  EXPECT_LT(used, 0.5) << "the server used " << used << " s of CPU in 2 s while out of descriptors";

  served.pop_back();  // frees a descriptor in the server
  ASSERT_TRUE(readable_within(*waiting, seconds(10))) << "the waiting client was not served after a descriptor freed";
  EXPECT_EQ(waiting->read_some(1, deadline_in(seconds(10))), "b");
  EXPECT_TRUE(exits_cleanly_on(server, SIGTERM));
}

TEST_F(LEGACY_ECHO_SUITE, PortInUseExitsWithOneAndSaysSo) {
  // Listening on the port ourselves makes it busy for certain, whatever
  // SO_REUSEADDR the server sets.
  const std::string ip = "127.0.0.1";
  const std::uint16_t port = pick_free_port(ip);
  Server holder{ChildProcess::spawn(LEGACY_ECHO_PATH, {"--bind", ip, "--port", std::to_string(port)}), ip, port};
  ASSERT_TRUE(holder.process.wait_for_stderr_line("listening on", deadline_in(kStartTimeout))) << holder.process.err();

  const FinishedRun run = run_server({"--bind", ip, "--port", std::to_string(port)});
  ASSERT_TRUE(run.status) << "did not exit; stderr:\n" << run.err;
  EXPECT_TRUE(run.status->exited_with(1)) << run.status->describe() << "; stderr:\n" << run.err;
  EXPECT_NE(run.err.find("Address already in use"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(std::to_string(port)), std::string::npos) << run.err;
  EXPECT_TRUE(exits_cleanly_on(holder, SIGTERM));
}

TEST_F(LEGACY_ECHO_SUITE, BadFlagsAreUsageErrorsWithExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {"--nope"}, {"--port"}, {"--port", "0"}, {"--port", "65536"}, {"--port", "12x"},
      {"--port", "-1"}, {"--bind", "not-an-address"}, {"extra"},
  };
  for (const std::vector<std::string>& args : bad) {
    const FinishedRun run = run_server(args);
    const std::string shown = ::testing::PrintToString(args);
    ASSERT_TRUE(run.status) << shown << " did not exit; stderr:\n" << run.err;
    EXPECT_TRUE(run.status->exited_with(2)) << shown << ": " << run.status->describe() << "; stderr:\n" << run.err;
    EXPECT_NE(run.err.find("usage:"), std::string::npos) << shown << ": " << run.err;
    EXPECT_TRUE(run.out.empty()) << shown << ": usage errors belong on stderr, got on stdout:\n" << run.out;
  }
}

// The signal arrives while connections are open, one of them with output
// queued: the server still exits promptly with code 0.
TEST_F(LEGACY_ECHO_SUITE, SigtermExitsZeroPromptlyWithConnectionsOpen) {
  Server server = start_server();
  TcpClient idle = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  TcpClient stuck = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  EXPECT_EQ(idle.exchange("z", deadline_in(seconds(10))), "z");
  send_until_blocked(stuck, kUnboundedBytes, deadline_in(seconds(60)));

  const Clock::time_point start = Clock::now();
  EXPECT_TRUE(exits_cleanly_on(server, SIGTERM));
  EXPECT_LT(Clock::now() - start, seconds(5));
}

TEST_F(LEGACY_ECHO_SUITE, SigintExitsZero) {
  Server server = start_server();
  TcpClient idle = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  EXPECT_EQ(idle.exchange("z", deadline_in(seconds(10))), "z");
  EXPECT_TRUE(exits_cleanly_on(server, SIGINT));
}

}  // namespace
}  // namespace echo_test
