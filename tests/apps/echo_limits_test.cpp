// eddy-echo's limits: --max-connections sheds newcomers, --idle-timeout
// closes silent clients, --max-buffer bounds the memory a client that never
// reads can make the server hold.

#include "echo_fixture.hpp"
#include "echo_process.hpp"
#include "tcp_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using EchoLimits = EchoProcessTest;

TEST_F(EchoLimits, MaxConnectionsClosesTheExtrasAtOnceAndServesTheRest) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--max-connections", "5"});
  std::vector<TcpClient> served;
  for (int i = 0; i < 5; ++i) {
    served.push_back(TcpClient::connect(server.ip, server.port, deadline_in(seconds(10))));
    ASSERT_EQ(served.back().exchange("a", deadline_in(seconds(10))), "a") << "client " << i;
  }
  // The kernel completes the handshake; the server then accepts and closes
  // at once, so each extra client reads the end of its connection promptly.
  for (int i = 5; i < 20; ++i) {
    TcpClient extra = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
    EXPECT_EQ(extra.read_some(1, deadline_in(seconds(5))), "") << "extra client " << i << " was not closed";
  }
  for (std::size_t i = 0; i < served.size(); ++i) {
    const std::string data = random_bytes(64 * 1024, 40 + i);
    EXPECT_TRUE(same_bytes(data, served[i].exchange(data, deadline_in(seconds(20))))) << "client " << i;
  }
  // A closed connection frees its place (once the server has seen the close).
  served.pop_back();
  const Deadline deadline = deadline_in(seconds(20));
  bool served_again = false;
  while (!served_again && Clock::now() < deadline) {
    TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
    client.send_all("b", deadline_in(seconds(10)));
    served_again = client.read_some(1, deadline_in(seconds(10))) == "b";
    if (!served_again) {
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  EXPECT_TRUE(served_again) << "no new client was served after one of the five left";
  EXPECT_TRUE(exits_cleanly_on(server));
}

// A client sending every 50 ms keeps its connection for 0.6 s, three idle
// timeouts; a silent one is closed, and no sooner than 0.2 s after it last
// sent (timers never fire early).
TEST_F(EchoLimits, IdleTimeoutClosesSilentClientsButNotBusyOnes) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--idle-timeout", "0.2"});
  TcpClient silent = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const Clock::time_point silent_from = Clock::now();  // before the server's last activity on it
  ASSERT_EQ(silent.exchange("s", deadline_in(seconds(10))), "s");

  TcpClient busy = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const Clock::time_point busy_until = Clock::now() + milliseconds(600);
  int exchanges = 0;
  while (Clock::now() < busy_until) {
    ASSERT_EQ(busy.exchange("b", deadline_in(seconds(10))), "b") << "the busy client lost its connection";
    ++exchanges;
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_GE(exchanges, 6);

  const TcpClient::Ending ending = silent.read_until_closed(deadline_in(seconds(10)));
  EXPECT_TRUE(ending.received.empty());
  EXPECT_GE(Clock::now() - silent_from, milliseconds(200));
  // Once silent too, the busy client goes the same way.
  const Clock::time_point busy_silent_from = Clock::now();
  busy.read_until_closed(deadline_in(seconds(10)));
  EXPECT_GE(Clock::now() - busy_silent_from, milliseconds(100));
  EXPECT_TRUE(exits_cleanly_on(server));
}

// With --max-buffer 64 KiB a client that sends and never reads makes the
// server queue at most 64 KiB plus one 64 KiB read for it; the rest waits in
// the kernel's socket buffers and then in the client. Server memory stays
// flat (the bound below is generous: block caches and allocator slack), and
// another client keeps being echoed meanwhile.
TEST_F(EchoLimits, MaxBufferBoundsServerMemoryForAClientThatNeverReads) {
  constexpr std::size_t kFlood = 64 * 1024 * 1024;
  constexpr std::size_t kMaxGrowth = 32 * 1024 * 1024;  // a server that read it all would grow by ~64 MiB
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--max-buffer", "65536", "--threads", "2"});
  TcpClient other = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::string warm_up = random_bytes(1024 * 1024, 50);
  ASSERT_TRUE(same_bytes(warm_up, other.exchange(warm_up, deadline_in(seconds(30)))));
  const std::size_t baseline = resident_bytes(server.process.pid());

  TcpClient stuck = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::size_t sent = send_until_blocked(stuck, kFlood, deadline_in(seconds(60)));
  EXPECT_LT(sent, kFlood) << "the server kept reading from a client that reads nothing";
  const std::size_t after_flood = resident_bytes(server.process.pid());
  EXPECT_LT(after_flood, baseline + kMaxGrowth) << "baseline " << baseline << " bytes";

  const std::string data = random_bytes(1024 * 1024, 51);
  EXPECT_TRUE(same_bytes(data, other.exchange(data, deadline_in(seconds(30)))));
  EXPECT_LT(resident_bytes(server.process.pid()), baseline + kMaxGrowth) << "baseline " << baseline << " bytes";

  // Nothing was lost meanwhile: once the client reads, every byte comes back.
  EXPECT_TRUE(same_bytes(flood_bytes(sent), stuck.read_exact(sent, deadline_in(seconds(60)))));
  EXPECT_TRUE(exits_cleanly_on(server));
}

}  // namespace
}  // namespace echo_test
