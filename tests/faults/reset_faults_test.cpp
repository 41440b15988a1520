// Fault injection: peers that reset (RST, via SO_LINGER {1, 0} and close)
// while the server reads from them or writes to them. Each such reset costs
// the server that one connection: it keeps running, the clients served
// meanwhile lose no byte, and every descriptor comes back.
//
// tests/apps/echo_resilience_test.cpp resets three clients one after the
// other with nobody else connected; here hundreds reset while others are
// being echoed megabytes, and the SIGPIPE cases check that the harness does
// not hide a fatal SIGPIPE.

#include "../apps/echo_fixture.hpp"
#include "fault_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using ResetFaults = EchoProcessTest;

// A client that echoes `rounds_at_least` rounds of `size` bytes, and goes on
// until `others_done`; returns the bytes echoed. Throws on any difference.
std::uint64_t echo_until(const EchoServerProcess& server, int id, std::size_t size, int rounds_at_least,
                         const std::atomic<bool>& others_done) {
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  std::uint64_t echoed = 0;
  for (int round = 0; round < rounds_at_least || !others_done.load(); ++round) {
    const std::string data = random_bytes(size, static_cast<std::uint64_t>(id) * 1000 + static_cast<unsigned>(round));
    const std::string back = client.exchange(data, deadline_in(seconds(60)));
    if (back != data) {
      throw std::runtime_error("client " + std::to_string(id) + " round " + std::to_string(round) +
                               ": the echo differs from what was sent");
    }
    echoed += size;
  }
  return echoed;
}

// Mid-read: the client sends 192 KiB in one go and resets at once, while the
// server is still reading it (unread input in the server's socket when the
// RST arrives). Mid-write: the client, with a 4 KiB receive buffer, sends
// until the connection stalls (the server has stopped reading it because
// --max-buffer worth of echo is queued for it), then resets.
TEST_F(ResetFaults, PeersResettingMidReadAndMidWriteCostOnlyTheirOwnConnections) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--max-buffer", "256K", "--stats", "0.2"});
  const std::size_t baseline = open_fd_count(server.process.pid());

  constexpr int kGoodClients = 6;
  constexpr int kMidRead = 200;
  constexpr int kMidWrite = 20;
  std::atomic<bool> resets_done{false};
  std::atomic<std::uint64_t> echoed{0};
  std::atomic<std::uint64_t> pending_when_reset{0};
  std::atomic<int> mid_write_stalled{0};
  const PatternStream stream(1);
  const std::vector<std::string> errors = run_on_threads(kGoodClients + 1, [&](int i) {
    if (i < kGoodClients) {
      echoed += echo_until(server, i, 1024 * 1024, 2, resets_done);
      return;
    }
    const SetOnExit done(resets_done);
    for (int round = 0; round < kMidRead + kMidWrite; ++round) {
      if (round % 11 == 10) {
        RawClient doomed = RawClient::connect(server.ip, server.port, deadline_in(seconds(10)), 4096);
        const std::size_t sent =
            doomed.fill_until_stalled(stream, 64 * 1024 * 1024, milliseconds(50), deadline_in(seconds(30)));
        pending_when_reset += sent;
        mid_write_stalled += sent < 64 * 1024 * 1024 ? 1 : 0;
        doomed.close_with_rst();
      } else {
        RawClient doomed = RawClient::connect(server.ip, server.port, deadline_in(seconds(10)));
        doomed.send_some(stream.chunk(0, 192 * 1024));
        doomed.close_with_rst();
      }
    }
  });
  ASSERT_TRUE(errors.empty()) << joined(errors);
  report_figure("resets", kMidRead + kMidWrite);
  report_figure("bytes_echoed_to_others", static_cast<double>(echoed.load()));
  report_figure("bytes_lost", 0);
  report_figure("mid_write_bytes_sent_per_reset", static_cast<double>(pending_when_reset.load()) / kMidWrite);
  EXPECT_EQ(mid_write_stalled.load(), kMidWrite) << "some mid-write peers reset before the server had output queued";
  EXPECT_GE(echoed.load(), std::uint64_t{kGoodClients} * 2 * 1024 * 1024);

  // Every connection the server accepted has been closed again (the resets
  // included), and none was refused. (A peer that resets before the server
  // accepts it may never reach accept(2), so the count is a figure only.)
  EXPECT_TRUE(wait_for_stats(
      server,
      [&](const auto& totals) {
        return totals.at("open") == 0 && totals.at("closed") == totals.at("accepted") &&
               totals.at("accepted") >= kGoodClients;
      },
      deadline_in(seconds(20))))
      << server.process.err();
  const auto totals = last_stats_totals(server.process.err());
  EXPECT_EQ(totals.at("rejected"), 0U);
  report_figure("accepted", static_cast<double>(totals.at("accepted")));
  EXPECT_TRUE(recovers_to_baseline(server, baseline));
  EXPECT_TRUE(exits_cleanly_on(server));
}

// SIGPIPE is what a write to a reset peer raises unless the sender passes
// MSG_NOSIGNAL or ignores it. The harness must not hide a fatal SIGPIPE by
// starting the server with it ignored: a child it starts, while the test
// process itself ignores SIGPIPE, has SIGPIPE at its default disposition.
TEST_F(ResetFaults, HarnessStartsChildrenWithSigpipeAtItsDefaultDisposition) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &previous), 0);
  ChildProcess child = ChildProcess::spawn("/bin/cat", {"/proc/self/status"});
  const std::optional<ExitStatus> status = child.wait_exit(deadline_in(seconds(10)));
  ::sigaction(SIGPIPE, &previous, nullptr);
  ASSERT_TRUE(status && status->exited_with(0)) << child.err();

  const std::size_t at = child.out().find("SigIgn:");
  ASSERT_NE(at, std::string::npos) << child.out();
  const std::uint64_t ignored = std::stoull(child.out().substr(at + 7), nullptr, 16);
  EXPECT_EQ(ignored & (std::uint64_t{1} << (SIGPIPE - 1)), 0U)
      << "the child was started with SIGPIPE ignored: SigIgn " << std::hex << ignored;
}

// The server's own choice (docs/echo.md, Signals): it ignores SIGPIPE, on
// top of sending with MSG_NOSIGNAL. 200 peers, each with 4 KiB socket
// buffers, make the server queue echo for them and then reset, so that the
// server's next send to each fails with EPIPE or ECONNRESET, four at a time,
// while another client is echoed throughout.
TEST_F(ResetFaults, ServerSurvivesHundredsOfPeersResettingWhileItWritesToThem) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--max-buffer", "64K"});
  const std::size_t baseline = open_fd_count(server.process.pid());

  constexpr int kThreads = 4;
  constexpr int kRoundsPerThread = 50;
  std::atomic<int> writers_done{0};
  std::atomic<bool> all_done{false};
  std::atomic<std::uint64_t> echoed{0};
  std::atomic<int> stalled{0};
  const std::vector<std::string> errors = run_on_threads(kThreads + 1, [&](int i) {
    if (i == kThreads) {
      echoed += echo_until(server, 77, 256 * 1024, 4, all_done);
      return;
    }
    struct CountOnExit {
      std::atomic<int>& done;
      std::atomic<bool>& all;
      ~CountOnExit() {
        if (++done == kThreads) {
          all = true;
        }
      }
    } count_on_exit{writers_done, all_done};
    const PatternStream stream(static_cast<std::uint64_t>(i));
    for (int round = 0; round < kRoundsPerThread; ++round) {
      RawClient doomed = RawClient::connect(server.ip, server.port, deadline_in(seconds(10)), 4096, 4096);
      // A send that stalls before 4 MiB means the server stopped reading this
      // peer: more than --max-buffer of echo is queued for it as it resets.
      const std::size_t sent =
          doomed.fill_until_stalled(stream, 4 * 1024 * 1024, milliseconds(20), deadline_in(seconds(30)));
      stalled += sent < 4 * 1024 * 1024 ? 1 : 0;
      doomed.close_with_rst();
    }
  });
  ASSERT_TRUE(errors.empty()) << joined(errors);
  report_figure("resets_while_writing", kThreads * kRoundsPerThread);
  report_figure("resets_with_output_queued", stalled.load());
  EXPECT_EQ(stalled.load(), kThreads * kRoundsPerThread) << "some peers reset before the server had output queued";
  report_figure("bytes_echoed_meanwhile", static_cast<double>(echoed.load()));
  EXPECT_FALSE(server.process.has_exited()) << server.process.err();

  // Documented: eddy-echo sets SIGPIPE to ignored itself (SigIgn bit 13).
  const std::string status_path = "/proc/" + std::to_string(server.process.pid()) + "/status";
  ChildProcess cat = ChildProcess::spawn("/bin/cat", {status_path});
  ASSERT_TRUE(cat.wait_exit(deadline_in(seconds(10))));
  const std::size_t at = cat.out().find("SigIgn:");
  ASSERT_NE(at, std::string::npos) << cat.out();
  EXPECT_NE(std::stoull(cat.out().substr(at + 7), nullptr, 16) & (std::uint64_t{1} << (SIGPIPE - 1)), 0U);

  EXPECT_TRUE(recovers_to_baseline(server, baseline));
  EXPECT_TRUE(exits_cleanly_on(server));
}

}  // namespace
}  // namespace echo_test
