// eddy-echo keeps serving when clients misbehave or descriptors run out.

#include "echo_fixture.hpp"
#include "echo_process.hpp"
#include "tcp_client.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using EchoResilience = EchoProcessTest;

// What a client that never reads may push into the connection: its own send
// buffer, the server's receive buffer, the server's one pending read (64 KiB)
// and send buffer, and its own receive buffer. On loopback that comes to
// about 8 MiB (it grows with net.ipv4.tcp_rmem/tcp_wmem), far below this
// bound; a server that kept reading into memory would pass it.
constexpr std::size_t kBoundedBytes = 128 * 1024 * 1024;

TEST_F(EchoResilience, ClientThatNeverReadsIsThrottledWhileOthersAreServed) {
  EchoServerProcess server = start_echo_server();
  TcpClient stuck = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::size_t sent = send_until_blocked(stuck, kBoundedBytes, deadline_in(seconds(60)));
  EXPECT_LT(sent, kBoundedBytes) << "the server kept reading from a client that reads nothing";

  TcpClient other = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::string data = random_bytes(1024 * 1024, 8);
  EXPECT_TRUE(same_bytes(data, other.exchange(data, deadline_in(seconds(30)))));

  // Nothing was lost meanwhile: once the client reads, every byte comes back.
  EXPECT_TRUE(same_bytes(flood_bytes(sent), stuck.read_exact(sent, deadline_in(seconds(60)))));
  EXPECT_TRUE(exits_cleanly_on(server));
}

// With SO_LINGER {1, 0} close sends RST: the server's next send to that peer
// fails with ECONNRESET or EPIPE while it still holds unsent output.
TEST_F(EchoResilience, SurvivesClientsThatResetWhileTheirOutputIsPending) {
  EchoServerProcess server = start_echo_server();
  for (int round = 0; round < 3; ++round) {
    TcpClient stuck = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
    send_until_blocked(stuck, kBoundedBytes, deadline_in(seconds(60)));
    stuck.reset();

    TcpClient other = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
    const std::string data = random_bytes(64 * 1024, 9 + static_cast<unsigned>(round));
    EXPECT_TRUE(same_bytes(data, other.exchange(data, deadline_in(seconds(20))))) << "round " << round;
  }
  EXPECT_FALSE(server.process.has_exited()) << server.process.err();
  EXPECT_TRUE(exits_cleanly_on(server));
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

// Connects, sends one byte and reports whether it came back (served) or the
// connection was closed at once (shed).
bool is_served(const EchoServerProcess& server) {
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  client.send_all("?", deadline_in(seconds(10)));
  return client.read_some(1, deadline_in(seconds(10))) == "?";
}

// Out of descriptors, accept fails with EMFILE and the client would stay in
// the listen queue forever; the server sheds it with its spare descriptor,
// says so, and serves again once descriptors are free.
TEST_F(EchoResilience, ShedsNewClientsWhenOutOfDescriptorsAndRecovers) {
  EchoServerProcess server = start_echo_server();
  std::vector<TcpClient> served;
  served.push_back(TcpClient::connect(server.ip, server.port, deadline_in(seconds(10))));
  ASSERT_EQ(served.back().exchange("a", deadline_in(seconds(10))), "a");

  // From now on the server can only reuse descriptor numbers below its
  // highest open one.
  const rlim_t cap = static_cast<rlim_t>(highest_open_fd(server.process.pid()) + 1);
  const rlimit limit{cap, cap};
  if (::prlimit(server.process.pid(), RLIMIT_NOFILE, &limit, nullptr) != 0) {
    GTEST_SKIP() << "cannot lower the server's descriptor limit (prlimit)";
  }
  bool shed = false;
  for (int i = 0; i < 64 && !shed; ++i) {
    TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
    client.send_all("b", deadline_in(seconds(10)));
    if (client.read_some(1, deadline_in(seconds(10))) == "b") {
      served.push_back(std::move(client));  // it took one of the last free descriptors
    } else {
      shed = true;
    }
  }
  ASSERT_TRUE(shed) << "no client was shed under a descriptor limit of " << cap;
  EXPECT_TRUE(server.process.wait_for_stderr_line("out of file descriptors", deadline_in(seconds(10))))
      << server.process.err();

  // Closing served clients frees descriptors; the server serves again.
  served.clear();
  const Deadline deadline = deadline_in(seconds(20));
  bool recovered = false;
  while (!recovered && Clock::now() < deadline) {
    recovered = is_served(server);
    if (!recovered) {
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  EXPECT_TRUE(recovered) << "no client was served again after descriptors were freed";
  EXPECT_TRUE(exits_cleanly_on(server));
}

}  // namespace
}  // namespace echo_test
