// Fault injection with signals under load. SIGTERM while 50 clients stream
// numbered frames: the graceful stop flushes what the server has read, so
// each client receives a prefix of its own frames, in order, and the server
// exits 0. The last frame may be cut: the server knows no frames, and what
// it had read when it stopped ends wherever TCP's delivery did. That is
// mostly a frame's end, since the clients send whole frames, but not
// always: a clean-clone CI run on a loaded machine saw two clients of 50 cut
// mid-frame on the uring backend. SIGINT twice while clients that never read hold
// the stop up: the second one ends the process at once with 130.
// tests/apps/echo_shutdown_test.cpp stops servers with idle clients, one
// client whose input was all read, or one that never reads; here the
// clients are still sending when the signal arrives.

#include "../apps/echo_fixture.hpp"
#include "fault_support.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using SignalFaults = EchoProcessTest;

constexpr std::size_t kFrameSize = 1024;

// Frame `index` of client `client`: the client (4 bytes) and the index
// (8 bytes, both little-endian), then bytes of the client's pattern.
void append_frame(std::string& out, std::uint32_t client, std::uint64_t index) {
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<char>((client >> (8 * i)) & 0xFF));
  }
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>((index >> (8 * i)) & 0xFF));
  }
  const PatternStream stream(client + 4000);
  std::uint64_t offset = index * 61;  // consecutive frames differ in their bodies too
  while (out.size() % kFrameSize != 0) {
    const std::string_view piece = stream.chunk(offset, kFrameSize - out.size() % kFrameSize);
    out.append(piece);
    offset += piece.size();
  }
}

struct FrameClient {
  TcpClient client;
  std::uint32_t id = 0;
  std::string unsent{};             // whole frames the socket has not taken yet, partly sent at the front
  std::uint64_t frames_queued = 0;  // frames built so far
  std::uint64_t sent = 0;           // bytes the socket took
  std::string expected{};           // the frame being received
  std::uint64_t received = 0;       // bytes received and checked
  bool sending = true;
  bool ended = false;
  bool reset = false;
  bool mismatch = false;
};

void send_more(FrameClient& c) {
  if (c.unsent.size() < 16 * kFrameSize) {
    for (int i = 0; i < 16; ++i) {
      append_frame(c.unsent, c.id, c.frames_queued++);
    }
  }
  const ssize_t n = ::send(c.client.fd(), c.unsent.data(), c.unsent.size(), MSG_NOSIGNAL);
  if (n > 0) {
    c.sent += static_cast<std::uint64_t>(n);
    c.unsent.erase(0, static_cast<std::size_t>(n));
  } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
    c.sending = false;  // EPIPE or ECONNRESET once the server has closed
  }
}

void receive_some(FrameClient& c, std::string& chunk) {
  const ssize_t n = ::recv(c.client.fd(), chunk.data(), chunk.size(), 0);
  if (n == 0 || (n < 0 && errno == ECONNRESET)) {
    c.ended = true;
    c.reset = n < 0;
    return;
  }
  if (n < 0) {
    return;  // EAGAIN
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    const std::size_t at = static_cast<std::size_t>(c.received % kFrameSize);
    if (at == 0) {
      c.expected.clear();
      append_frame(c.expected, c.id, c.received / kFrameSize);
    }
    c.mismatch = c.mismatch || chunk[i] != c.expected[at];
    ++c.received;
  }
}

TEST_F(SignalFaults, SigtermUnderFullLoadLeavesEachClientAPrefixOfItsFramesAndExitsZero) {
  constexpr int kClients = 50;
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--shutdown-timeout", "5"});
  std::vector<FrameClient> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(FrameClient{TcpClient::connect(server.ip, server.port, deadline_in(seconds(10))),
                                  static_cast<std::uint32_t>(i)});
  }
  std::string chunk(64 * 1024, '\0');
  const Clock::time_point start = Clock::now();
  std::optional<Clock::time_point> signalled;
  const Deadline deadline = deadline_in(seconds(40));
  std::size_t open = clients.size();
  while (open > 0 && Clock::now() < deadline) {
    if (!signalled && Clock::now() - start >= seconds(1)) {
      bool all_echoed = true;
      for (const FrameClient& c : clients) {
        all_echoed = all_echoed && c.received >= kFrameSize;
      }
      if (all_echoed) {
        server.process.send_signal(SIGTERM);
        signalled = Clock::now();
      }
    }
    std::vector<pollfd> fds;
    std::vector<FrameClient*> owners;
    for (FrameClient& c : clients) {
      if (!c.ended) {
        fds.push_back({c.client.fd(), static_cast<short>(POLLIN | (c.sending ? POLLOUT : 0)), 0});
        owners.push_back(&c);
      }
    }
    if (::poll(fds.data(), fds.size(), 50) <= 0) {
      continue;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      FrameClient& c = *owners[i];
      if ((fds[i].revents & POLLOUT) != 0 && c.sending) {
        send_more(c);
      }
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        receive_some(c, chunk);
        open -= c.ended ? 1 : 0;
      }
    }
  }
  ASSERT_TRUE(signalled) << "not every client had an echo within the run";
  const std::optional<ExitStatus> status = server.process.wait_exit(deadline_in(seconds(20)));
  ASSERT_TRUE(status) << "still running 20 s after SIGTERM; stderr:\n" << server.process.err();
  EXPECT_TRUE(status->exited_with(0)) << status->describe() << "\n" << server.process.err();
  report_figure("stop_took_ms",
                static_cast<double>(std::chrono::duration_cast<milliseconds>(Clock::now() - *signalled).count()));

  std::uint64_t frames = 0;
  std::uint64_t sent = 0;
  int resets = 0;
  int partial = 0;
  for (const FrameClient& c : clients) {
    EXPECT_TRUE(c.ended) << "client " << c.id << " saw no end of its connection";
    EXPECT_FALSE(c.mismatch) << "client " << c.id << " received bytes that are not its frames, in order";
    EXPECT_LE(c.received, c.sent) << "client " << c.id;
    frames += c.received / kFrameSize;
    sent += c.sent;
    resets += c.reset ? 1 : 0;
    partial += c.received % kFrameSize != 0 ? 1 : 0;
  }
  report_figure("frames_echoed", static_cast<double>(frames));
  report_figure("bytes_sent", static_cast<double>(sent));
  report_figure("bytes_not_echoed_at_stop", static_cast<double>(sent - frames * kFrameSize));
  report_figure("clients_reset_at_stop", resets);
  report_figure("clients_with_partial_frame", partial);
}

TEST_F(SignalFaults, SecondSigintDuringAStopHeldUpByClientsThatNeverReadExitsAtOnceWith130) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--shutdown-timeout", "600", "--max-buffer", "256K"});
  std::vector<RawClient> stuck;
  for (int i = 0; i < 10; ++i) {
    stuck.push_back(RawClient::connect(server.ip, server.port, deadline_in(seconds(10)), 4096));
  }
  const std::vector<std::string> errors = run_on_threads(10, [&](int i) {
    stuck[static_cast<std::size_t>(i)].fill_until_stalled(
        PatternStream(static_cast<std::uint64_t>(i)), 64 * 1024 * 1024, milliseconds(300), deadline_in(seconds(30)));
  });
  ASSERT_TRUE(errors.empty()) << joined(errors);

  server.process.send_signal(SIGINT);
  ASSERT_TRUE(server.process.wait_for_stderr_line("shutting down", deadline_in(seconds(10)))) << server.process.err();
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_FALSE(server.process.has_exited()) << "the graceful stop did not wait for the queued output";

  const Clock::time_point second = Clock::now();
  server.process.send_signal(SIGINT);
  const std::optional<ExitStatus> status = server.process.wait_exit(deadline_in(seconds(10)));
  ASSERT_TRUE(status) << "still running 10 s after the second SIGINT; stderr:\n" << server.process.err();
  report_figure("exit_after_second_sigint_ms",
                static_cast<double>(std::chrono::duration_cast<milliseconds>(Clock::now() - second).count()));
  EXPECT_TRUE(status->exited_with(128 + SIGINT)) << status->describe() << "\n" << server.process.err();
  EXPECT_NE(server.process.err().find("eddy-echo: second signal (SIGINT): exiting at once\n"), std::string::npos)
      << server.process.err();
  // The process is gone, so the kernel has ended every connection it held:
  // each client reads what reached it (a prefix of its own bytes), then the
  // end of the connection.
  for (std::size_t i = 0; i < stuck.size(); ++i) {
    stuck[i].read_and_check(PatternStream(i), std::uint64_t{1} << 30, deadline_in(seconds(10)));
    char byte = 0;
    const ssize_t n = ::recv(stuck[i].fd(), &byte, 1, MSG_DONTWAIT);
    EXPECT_TRUE(n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) << "client " << i << " is still open";
  }
}

}  // namespace
}  // namespace echo_test
