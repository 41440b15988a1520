// TcpServer and its port: the threads share one listening socket that no
// other socket can join, whatever process opens it, unless the server opts
// in with share_port_with_other_processes (SO_REUSEPORT); and a burst of
// clients is spread evenly over the threads.
#include "net/foreign_socket.hpp"
#include "net/server_harness.hpp"

#include <eddy/socket_address.hpp>
#include <eddy/tcp_connection.hpp>
#include <eddy/tcp_server.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::SocketAddress;
using eddy::TcpConnection;
using eddy::TcpServer;
using eddy::TcpServerOptions;
using eddy::UniqueFd;
using eddy::test::bind_with_reuse_port;
using eddy::test::connect_client;
using eddy::test::echo;
using eddy::test::eventually;
using eddy::test::loopback;
using eddy::test::server_options;

TEST(TcpServerPort, NoSocketWithReusePortCanJoinTheThreadsPort) {
  TcpServer server(server_options(4), echo);
  server.start();
  EXPECT_EQ(bind_with_reuse_port(server.local_address()), EADDRINUSE);
  server.stop();
}

TEST(TcpServerPort, ShareWithOtherProcessesLetsAReusePortSocketJoin) {
  TcpServerOptions options = server_options(2);
  options.share_port_with_other_processes = true;
  TcpServer server(options, echo);
  server.start();
  EXPECT_EQ(bind_with_reuse_port(server.local_address()), 0);
  server.stop();
}

class TcpServerSpread : public testing::TestWithParam<std::size_t> {};

TEST_P(TcpServerSpread, ABurstOfClientsIsSpreadEvenlyOverTheThreads) {
  const std::size_t threads = GetParam();
  constexpr std::size_t kClients = 200;
  std::mutex mutex;
  std::map<std::thread::id, std::size_t> per_thread;
  TcpServer server(server_options(threads), [&](TcpConnection& connection) {
    echo(connection);
    const std::lock_guard lock(mutex);
    ++per_thread[std::this_thread::get_id()];
  });
  server.start();
  std::vector<UniqueFd> clients;
  for (std::size_t i = 0; i < kClients; ++i) {
    clients.push_back(connect_client(server.local_address()));
  }
  ASSERT_TRUE(eventually([&] { return server.stats().open == kClients; }));
  server.stop();
  // A thread stops accepting once it holds 3 + 1/16 more than the least
  // loaded one, which bounds how far below an even share any thread is.
  ASSERT_EQ(per_thread.size(), threads);
  const std::size_t even = kClients / threads;
  for (const auto& [thread, count] : per_thread) {
    EXPECT_GE(count, even - even / 8 - 3) << "one thread took " << count << " of " << kClients;
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, TcpServerSpread, testing::Values(std::size_t{2}, std::size_t{4}),
                         [](const auto& param_info) { return std::to_string(param_info.param) + "Threads"; });

// Reads `size` bytes from `fd` within `timeout`; false on EOF or timeout.
bool read_within(int fd, void* data, std::size_t size, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 &&
         ::read(fd, data, size) == static_cast<ssize_t>(size);
}

// A TcpServer in a child process, on 127.0.0.1 and a port of the kernel's
// choice. The child holds it until the parent closes `release_`.
class ServerInChild {
 public:
  explicit ServerInChild(bool share_port) {
    int ready[2];
    int release[2];
    if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(release, O_CLOEXEC) != 0) {
      throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(release[1]);
      run_child(share_port, ready[1], release[0]);
    }
    ::close(ready[1]);
    ::close(release[0]);
    ready_ = UniqueFd(ready[0]);
    release_ = UniqueFd(release[1]);
    if (!read_within(ready_.get(), &port_, sizeof port_, 10s)) {
      throw std::runtime_error("the child's TcpServer did not start");
    }
  }

  ~ServerInChild() {
    release_.reset();
    for (int i = 0; i < 1000; ++i) {  // up to 10 s for its graceful stop
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    ADD_FAILURE() << "the child's TcpServer did not stop";
  }

  ServerInChild(const ServerInChild&) = delete;
  ServerInChild& operator=(const ServerInChild&) = delete;

  std::uint16_t port() const noexcept { return port_; }

 private:
  [[noreturn]] static void run_child(bool share_port, int ready, int release) {
    int code = 0;
    try {
      TcpServerOptions options = server_options(2);
      options.share_port_with_other_processes = share_port;
      TcpServer server(options, echo);
      server.start();
      const std::uint16_t port = server.local_address().port();
      char byte = 0;
      if (::write(ready, &port, sizeof port) != sizeof port || ::read(release, &byte, 1) < 0) {
        code = 2;
      }
      server.stop();
    } catch (...) {
      code = 3;
    }
    ::_exit(code);
  }

  pid_t pid_ = -1;
  UniqueFd ready_;
  UniqueFd release_;
  std::uint16_t port_ = 0;
};

// (the child server shares, the newcomer shares, the newcomer starts)
class TcpServerInTwoProcesses : public testing::TestWithParam<std::tuple<bool, bool, bool>> {};

TEST_P(TcpServerInTwoProcesses, ASecondServerStartsOnlyWhenBothOptIn) {
  const auto [first_shares, second_shares, second_starts] = GetParam();
  ServerInChild first(first_shares);
  TcpServerOptions options = server_options(2);
  options.address = loopback(first.port());
  options.share_port_with_other_processes = second_shares;
  TcpServer second(options, echo);
  if (second_starts) {
    EXPECT_NO_THROW(second.start());
    second.stop();
    return;
  }
  try {
    second.start();
    ADD_FAILURE() << "a second server started on " << options.address.to_string();
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code(), std::errc::address_in_use) << error.what();
    EXPECT_NE(std::string(error.what()).find("cannot listen on " + options.address.to_string()), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(second.thread_count(), 0U);
}

INSTANTIATE_TEST_SUITE_P(Sharing, TcpServerInTwoProcesses,
                         testing::Values(std::make_tuple(false, false, false), std::make_tuple(false, true, false),
                                         std::make_tuple(true, false, false), std::make_tuple(true, true, true)),
                         [](const auto& param_info) {
                           return std::string(std::get<0>(param_info.param) ? "Sharing" : "Exclusive") + "First" +
                                  (std::get<1>(param_info.param) ? "Sharing" : "Exclusive") + "Second";
                         });

}  // namespace
