// Fault injection: clients that are slow on purpose. Slowloris clients send
// one byte at a time (every 0.2 s here, the 1 s scaled down to keep
// the test short) and must neither be cut off by --idle-timeout while they
// keep sending nor slow anyone else down; silent clients must be cut off.
// Clients that send without ever reading must not make the server's memory
// grow past --max-buffer per connection, while another client's 8 MiB echo
// goes through. tests/apps/echo_limits_test.cpp checks one busy and one
// silent client, and one non-reading client at --max-buffer 64K; here there
// are twenty, five and four of them at once.

#include "../apps/echo_fixture.hpp"
#include "fault_support.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using SlowClientFaults = EchoProcessTest;

// EOF (or a reset) waiting on `fd` now, without blocking.
bool closed_by_peer(int fd) {
  char byte = 0;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

TEST_F(SlowClientFaults, SlowlorisClientsKeepTheirConnectionsWhileSilentOnesAreClosedAndOthersAreServed) {
  constexpr int kSlow = 20;
  constexpr int kSilent = 5;
  constexpr int kTicks = 16;  // 3.2 s: more than three idle timeouts
  constexpr auto kTick = milliseconds(200);
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--idle-timeout", "1"});
  const std::size_t baseline = open_fd_count(server.process.pid());

  std::vector<TcpClient> silent;
  for (int i = 0; i < kSilent; ++i) {
    silent.push_back(TcpClient::connect(server.ip, server.port, deadline_in(seconds(10))));
    ASSERT_EQ(silent.back().exchange("s", deadline_in(seconds(10))), "s");
  }
  const Clock::time_point silent_since = Clock::now();  // after their last byte moved
  std::vector<TcpClient> slow;
  for (int i = 0; i < kSlow; ++i) {
    slow.push_back(TcpClient::connect(server.ip, server.port, deadline_in(seconds(10))));
  }

  std::atomic<bool> slow_done{false};
  std::atomic<int> normal_exchanges{0};
  std::atomic<long> slowest_exchange_us{0};
  std::vector<Clock::duration> silent_closed_after(kSilent, Clock::duration::zero());
  const std::vector<std::string> errors = run_on_threads(2, [&](int thread) {
    if (thread == 1) {
      // The normal client: 64 KiB echoes back to back, each within a
      // generous deadline, for as long as the slow clients dribble.
      TcpClient normal = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
      for (int round = 0; !slow_done.load(); ++round) {
        const std::string data = random_bytes(64 * 1024, 500 + static_cast<unsigned>(round));
        const Clock::time_point start = Clock::now();
        if (normal.exchange(data, deadline_in(seconds(5))) != data) {
          throw std::runtime_error("the normal client's echo differs in round " + std::to_string(round));
        }
        const long us =
            static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
        slowest_exchange_us = std::max(slowest_exchange_us.load(), us);
        ++normal_exchanges;
      }
      return;
    }
    const SetOnExit done(slow_done);
    for (int tick = 0; tick < kTicks; ++tick) {
      const Clock::time_point tick_start = Clock::now();
      for (int i = 0; i < kSlow; ++i) {
        const std::string byte(1, static_cast<char>('a' + (i + tick) % 26));
        slow[static_cast<std::size_t>(i)].send_all(byte, deadline_in(seconds(5)));
      }
      for (int i = 0; i < kSlow; ++i) {
        const std::string expected(1, static_cast<char>('a' + (i + tick) % 26));
        const std::string got = slow[static_cast<std::size_t>(i)].read_some(1, deadline_in(seconds(5)));
        if (got != expected) {
          throw std::runtime_error("slow client " + std::to_string(i) + " at tick " + std::to_string(tick) +
                                   (got.empty() ? ": closed by the server" : ": wrong byte"));
        }
      }
      for (int i = 0; i < kSilent; ++i) {
        auto& after = silent_closed_after[static_cast<std::size_t>(i)];
        if (after == Clock::duration::zero() && closed_by_peer(silent[static_cast<std::size_t>(i)].fd())) {
          after = Clock::now() - silent_since;
        }
      }
      std::this_thread::sleep_until(tick_start + kTick);
    }
  });
  ASSERT_TRUE(errors.empty()) << joined(errors);
  report_figure("normal_client_64KiB_echoes", normal_exchanges.load());
  report_figure("normal_client_slowest_echo_ms", static_cast<double>(slowest_exchange_us.load()) / 1000.0);
  EXPECT_GT(normal_exchanges.load(), 0);

  // Every slow client still has its connection after 3.2 s of 1-byte sends.
  for (int i = 0; i < kSlow; ++i) {
    EXPECT_FALSE(closed_by_peer(slow[static_cast<std::size_t>(i)].fd())) << "slow client " << i << " was closed";
  }
  // Every silent client was closed (with FIN, nothing sent), and no sooner
  // than the idle timeout after its last byte.
  for (int i = 0; i < kSilent; ++i) {
    const TcpClient::Ending ending = silent[static_cast<std::size_t>(i)].read_until_closed(deadline_in(seconds(5)));
    EXPECT_TRUE(ending.received.empty());
    EXPECT_FALSE(ending.reset) << "silent client " << i;
    const auto after = silent_closed_after[static_cast<std::size_t>(i)];
    if (after != Clock::duration::zero()) {
      EXPECT_GE(after, seconds(1)) << "silent client " << i << " was closed before the idle timeout";
      report_figure("silent_client_" + std::to_string(i) + "_closed_after_ms",
                    static_cast<double>(std::chrono::duration_cast<milliseconds>(after).count()));
    }
  }
  slow.clear();
  silent.clear();
  EXPECT_TRUE(recovers_to_baseline(server, baseline));
  EXPECT_TRUE(exits_cleanly_on(server));
}

// Four clients send as much as they can (up to 1 GiB each) and never read,
// until their sends have blocked for 2 s. The server stops reading each at
// --max-buffer 1 MiB queued, so its resident memory stays within 4 x
// (1 MiB + one 64 KiB read) + a 16 MiB margin of what it was at rest, while
// a fifth client's 8 MiB echo completes byte for byte. Then the four read,
// and every byte they sent comes back.
TEST_F(SlowClientFaults, ClientsThatNeverReadKeepServerMemoryUnderMaxBufferPerConnection) {
  constexpr int kStuck = 4;
  constexpr std::size_t kMaxBuffer = 1024 * 1024;
  constexpr std::size_t kMargin = 16 * 1024 * 1024;
  constexpr std::size_t kBound = kStuck * (kMaxBuffer + 64 * 1024) + kMargin;
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--max-buffer", "1M", "--threads", "2"});
  const pid_t pid = server.process.pid();
  const std::size_t baseline = open_fd_count(pid);
  const std::size_t rss_at_rest = resident_bytes(pid);

  std::vector<RawClient> stuck;
  for (int i = 0; i < kStuck; ++i) {
    stuck.push_back(RawClient::connect(server.ip, server.port, deadline_in(seconds(10))));
  }
  std::vector<std::uint64_t> sent(kStuck, 0);
  std::atomic<bool> sampling{true};
  std::size_t rss_peak = rss_at_rest;
  std::thread sampler([&] {
    try {
      while (sampling.load()) {
        rss_peak = std::max(rss_peak, resident_bytes(pid));
        std::this_thread::sleep_for(milliseconds(10));
      }
    } catch (const std::exception&) {
      // The server is gone: the checks after the floods report it.
    }
  });
  double echo_seconds = 0;
  const std::vector<std::string> errors = run_on_threads(kStuck + 1, [&](int i) {
    if (i < kStuck) {
      sent[static_cast<std::size_t>(i)] = stuck[static_cast<std::size_t>(i)].fill_until_stalled(
          PatternStream(static_cast<std::uint64_t>(i) + 300), std::size_t{1} << 30, seconds(2),
          deadline_in(seconds(60)));
      return;
    }
    std::this_thread::sleep_for(milliseconds(300));  // the floods are under way
    TcpClient other = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
    const std::string data = random_bytes(8 * 1024 * 1024, 301);
    const Clock::time_point start = Clock::now();
    if (other.exchange(data, deadline_in(seconds(60))) != data) {
      throw std::runtime_error("the other client's 8 MiB came back different");
    }
    echo_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  });
  sampling = false;
  sampler.join();
  ASSERT_TRUE(errors.empty()) << joined(errors);

  report_figure("rss_at_rest_KiB", static_cast<double>(rss_at_rest / 1024));
  report_figure("rss_peak_KiB", static_cast<double>(rss_peak / 1024));
  report_figure("rss_growth_KiB", static_cast<double>((rss_peak - rss_at_rest) / 1024));
  report_figure("rss_growth_bound_KiB", static_cast<double>(kBound / 1024));
  report_figure("other_client_8MiB_echo_s", echo_seconds);
  EXPECT_LT(rss_peak - rss_at_rest, kBound) << "at rest " << rss_at_rest << " bytes, peak " << rss_peak;
  for (int i = 0; i < kStuck; ++i) {
    const std::uint64_t n = sent[static_cast<std::size_t>(i)];
    report_figure("stuck_client_" + std::to_string(i) + "_sent_before_blocking_KiB", static_cast<double>(n / 1024));
    EXPECT_LT(n, std::uint64_t{1} << 30) << "the server kept reading from client " << i << ", which never reads";
    EXPECT_GT(n, kMaxBuffer) << "client " << i;
  }
  // Nothing was lost meanwhile: once the four read, every byte comes back.
  std::uint64_t lost = 0;
  for (int i = 0; i < kStuck; ++i) {
    const std::uint64_t n = sent[static_cast<std::size_t>(i)];
    const std::uint64_t back = stuck[static_cast<std::size_t>(i)].read_and_check(
        PatternStream(static_cast<std::uint64_t>(i) + 300), n, deadline_in(seconds(60)));
    EXPECT_EQ(back, n) << "client " << i << " got back " << back << " of its " << n << " bytes, in order";
    lost += n - back;
  }
  report_figure("bytes_lost", static_cast<double>(lost));
  stuck.clear();
  EXPECT_TRUE(recovers_to_baseline(server, baseline));
  EXPECT_TRUE(exits_cleanly_on(server));
}

// The scale: 1 000 clients that send and never read, at
// --max-buffer 64K. Each has 4 KiB socket buffers so that the kernel's share
// stays small and the server's own queue is what fills: at most 64 KiB plus
// one 64 KiB read per connection. Resident memory grows by no more than
// that times 1 000 plus the 16 MiB margin, and a client that does read is
// echoed 1 MiB byte for byte meanwhile. (Reading the 1 000 back is left to
// the four-client test above: with 4 KiB receive buffers the kernel's
// zero-window probes make it take minutes.)
TEST_F(SlowClientFaults, AThousandClientsThatNeverReadStayWithinMaxBufferEach) {
  constexpr int kStuck = 1000;
  constexpr std::size_t kPerConnection = 64 * 1024 + 64 * 1024;
  constexpr std::size_t kBound = kStuck * kPerConnection + 16 * 1024 * 1024;
  rlimit own{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &own), 0);
  if (own.rlim_cur < 2 * kStuck + 100) {
    GTEST_SKIP() << "the test needs " << 2 * kStuck + 100 << " descriptors; its limit is " << own.rlim_cur;
  }
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--max-buffer", "64K", "--threads", "2"});
  const pid_t pid = server.process.pid();
  const std::size_t baseline = open_fd_count(pid);
  const std::size_t rss_at_rest = resident_bytes(pid);

  std::vector<RawClient> stuck;
  for (int i = 0; i < kStuck; ++i) {
    stuck.push_back(RawClient::connect(server.ip, server.port, deadline_in(seconds(10)), 4096, 4096));
  }
  // Send to all of them until none has taken a byte for 1 s.
  const PatternStream stream(600);
  std::vector<std::uint64_t> sent(kStuck, 0);
  std::size_t rss_peak = rss_at_rest;
  Clock::time_point last_progress = Clock::now();
  const Deadline deadline = deadline_in(seconds(60));
  while (Clock::now() - last_progress < seconds(1) && Clock::now() < deadline) {
    bool progress = false;
    for (int i = 0; i < kStuck; ++i) {
      const long n =
          stuck[static_cast<std::size_t>(i)].send_some(stream.chunk(sent[static_cast<std::size_t>(i)], 65536));
      if (n > 0) {
        sent[static_cast<std::size_t>(i)] += static_cast<std::uint64_t>(n);
        progress = true;
      }
    }
    if (progress) {
      last_progress = Clock::now();
    } else {
      std::this_thread::sleep_for(milliseconds(10));
    }
    rss_peak = std::max(rss_peak, resident_bytes(pid));
  }
  std::uint64_t total = 0;
  for (const std::uint64_t n : sent) {
    total += n;
  }
  {
    TcpClient other = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
    const std::string data = random_bytes(1024 * 1024, 601);
    EXPECT_TRUE(same_bytes(data, other.exchange(data, deadline_in(seconds(30)))));
  }
  rss_peak = std::max(rss_peak, resident_bytes(pid));

  report_figure("stuck_clients", kStuck);
  report_figure("sent_by_stuck_clients_KiB", static_cast<double>(total / 1024));
  report_figure("rss_at_rest_KiB", static_cast<double>(rss_at_rest / 1024));
  report_figure("rss_peak_KiB", static_cast<double>(rss_peak / 1024));
  report_figure("rss_growth_KiB", static_cast<double>((rss_peak - rss_at_rest) / 1024));
  report_figure("rss_growth_bound_KiB", static_cast<double>(kBound / 1024));
#if defined(__SANITIZE_ADDRESS__)
  // Under AddressSanitizer the server's RSS also holds ASan's quarantine of
  // freed blocks and its redzones (about 5 % over the bound here): the
  // figure is reported, the bound is checked in the builds without it.
#else
  EXPECT_LT(rss_peak - rss_at_rest, kBound) << "at rest " << rss_at_rest << " bytes, peak " << rss_peak;
#endif

  stuck.clear();
  EXPECT_TRUE(recovers_to_baseline(server, baseline));
  EXPECT_TRUE(exits_cleanly_on(server));
}

}  // namespace
}  // namespace echo_test
