// Fault injection: clients that half-close (shutdown(SHUT_WR)) and keep
// reading. Each must get back every byte it sent, then an orderly EOF, never
// a reset. tests/apps/echo_server_test.cpp checks one client with 100 KiB;
// here 50 clients at once send 4 MiB each, far more than the socket buffers
// and --max-buffer hold, so the EOF reaches the server while it still has
// output queued and input unread for most of them.

#include "../apps/echo_fixture.hpp"
#include "fault_support.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::seconds;

using HalfCloseFaults = EchoProcessTest;

struct HalfCloser {
  TcpClient client;
  PatternStream stream;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  bool ended = false;
  bool reset = false;
  bool mismatch = false;
};

TEST_F(HalfCloseFaults, FiftyClientsHalfClosingAfter4MiBEachGetEveryByteThenEof) {
  constexpr int kClients = 50;
  constexpr std::uint64_t kSize = 4 * 1024 * 1024;
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--stats", "0.2"});
  const std::size_t baseline = open_fd_count(server.process.pid());

  std::vector<HalfCloser> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(HalfCloser{TcpClient::connect(server.ip, server.port, deadline_in(seconds(10))),
                                 PatternStream(static_cast<std::uint64_t>(i) + 100)});
  }
  const Clock::time_point start = Clock::now();
  const Deadline deadline = deadline_in(seconds(90));
  std::string chunk(256 * 1024, '\0');
  std::size_t open = clients.size();
  while (open > 0 && Clock::now() < deadline) {
    std::vector<pollfd> fds;
    std::vector<HalfCloser*> owners;
    for (HalfCloser& c : clients) {
      if (!c.ended) {
        fds.push_back({c.client.fd(), static_cast<short>(POLLIN | (c.sent < kSize ? POLLOUT : 0)), 0});
        owners.push_back(&c);
      }
    }
    if (::poll(fds.data(), fds.size(), 100) <= 0) {
      continue;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      HalfCloser& c = *owners[i];
      if ((fds[i].revents & POLLOUT) != 0 && c.sent < kSize) {
        c.sent += c.client.send_some(c.stream.chunk(c.sent, static_cast<std::size_t>(kSize - c.sent)));
        if (c.sent == kSize) {
          c.client.shutdown_write();
        }
      }
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      const ssize_t n = ::recv(c.client.fd(), chunk.data(), chunk.size(), 0);
      if (n > 0) {
        c.mismatch = c.mismatch || c.received + static_cast<std::uint64_t>(n) > kSize ||
                     !c.stream.matches(c.received, std::string_view(chunk.data(), static_cast<std::size_t>(n)));
        c.received += static_cast<std::uint64_t>(n);
      } else if (n == 0 || errno == ECONNRESET) {
        c.ended = true;
        c.reset = n < 0;
        --open;
      } else if (errno != EAGAIN && errno != EINTR) {
        FAIL() << "recv: " << std::strerror(errno);
      }
    }
  }
  const double seconds_taken = std::chrono::duration<double>(Clock::now() - start).count();
  report_figure("seconds_for_50x4MiB", seconds_taken);
  report_figure("echo_MiB_per_s", kClients * 4.0 / seconds_taken);
  std::uint64_t lost = 0;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const HalfCloser& c = clients[i];
    EXPECT_TRUE(c.ended) << "client " << i << " got no EOF after " << c.received << " of " << kSize << " bytes";
    EXPECT_FALSE(c.reset) << "client " << i << " was reset after " << c.received << " bytes";
    EXPECT_FALSE(c.mismatch) << "client " << i << " got bytes that differ from what it sent";
    EXPECT_EQ(c.received, kSize) << "client " << i;
    lost += kSize > c.received ? kSize - c.received : 0;
  }
  report_figure("bytes_lost", static_cast<double>(lost));
  clients.clear();
  EXPECT_TRUE(wait_for_stats(
      server, [](const auto& totals) { return totals.at("open") == 0 && totals.at("accepted") >= kClients; },
      deadline_in(seconds(20))));
  const auto totals = last_stats_totals(server.process.err());
  EXPECT_EQ(totals.at("bytes_in"), kClients * kSize);
  EXPECT_EQ(totals.at("bytes_out"), kClients * kSize);
  EXPECT_TRUE(recovers_to_baseline(server, baseline));
  EXPECT_TRUE(exits_cleanly_on(server));
}

}  // namespace
}  // namespace echo_test
