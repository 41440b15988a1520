// TcpListener out of file descriptors: with RLIMIT_NOFILE lowered so that
// only a few are free, it sheds the peers it cannot take (they see a close
// at once, not a hang), keeps serving the connections it has, logs at most
// once per second, and takes new peers again once descriptors come back.
#include "net/peer_io.hpp"
#include "support/run_until.hpp"

#include <eddy/buffer.hpp>
#include <eddy/log.hpp>
#include <eddy/loop.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/tcp_connection.hpp>
#include <eddy/tcp_listener.hpp>

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::Buffer;
using eddy::SocketAddress;
using eddy::TcpConnection;
using eddy::TcpListener;
using eddy::UniqueFd;
using eddy::test::PeerState;
using eddy::test::read_available;
using eddy::test::run_until;
using eddy::test::send_some;

// A non-blocking client socket, not connected yet.
UniqueFd client_socket() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    throw std::system_error(errno, std::generic_category(), "socket");
  }
  return fd;
}

void start_connect(int fd, const SocketAddress& to) {
  if (::connect(fd, to.get(), to.size()) != 0 && errno != EINPROGRESS) {
    throw std::system_error(errno, std::generic_category(), "connect " + to.to_string());
  }
}

std::atomic<int> warnings{0};
void count_warnings(eddy::LogLevel level, std::string_view) {
  if (level == eddy::LogLevel::kWarning) {
    warnings.fetch_add(1);
  }
}

// Lowers the soft RLIMIT_NOFILE so that exactly `free_slots` descriptor
// numbers are still free in this process; restores the old limits when
// destroyed. Descriptors already open stay valid whatever their number.
class FewFreeDescriptors {
 public:
  explicit FewFreeDescriptors(int free_slots) {
    if (::getrlimit(RLIMIT_NOFILE, &saved_) != 0) {
      throw std::system_error(errno, std::generic_category(), "getrlimit");
    }
    std::set<int> open;
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) {
      throw std::system_error(errno, std::generic_category(), "opendir /proc/self/fd");
    }
    const int own = ::dirfd(dir);
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.' && std::atoi(entry->d_name) != own) {
        open.insert(std::atoi(entry->d_name));
      }
    }
    ::closedir(dir);
    int fd = 0;
    for (int free = 0;; ++fd) {
      if (open.count(fd) == 0 && ++free == free_slots) {
        break;
      }
    }
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(fd + 1);
    if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0) {
      throw std::system_error(errno, std::generic_category(), "setrlimit");
    }
  }
  ~FewFreeDescriptors() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  FewFreeDescriptors(const FewFreeDescriptors&) = delete;
  FewFreeDescriptors& operator=(const FewFreeDescriptors&) = delete;

 private:
  rlimit saved_{};
};

// UBSan's vptr check verifies an object it has not seen before by probing
// its memory through a pipe, which needs two free descriptors: with none
// left it reports a false "invalid vptr" on the listener's error_code
// comparisons. Making those calls once beforehand puts the categories in
// its cache. (No effect in builds without the sanitizer.)
void warm_up_sanitizer_checks() {
  for (const int value : {EAGAIN, EMFILE, ENFILE, ECONNABORTED}) {
    for (const std::error_category* category : {&std::generic_category(), &std::system_category()}) {
      const std::error_code ec(value, *category);
      const bool any = ec == std::errc::resource_unavailable_try_again || ec == std::errc::operation_would_block ||
                       ec == std::errc::too_many_files_open || ec == std::errc::connection_aborted;
      EXPECT_TRUE(any || !ec.message().empty());
    }
  }
}

// An echo server on a listener, in one process with its clients: every
// client socket is created before the limit is lowered, so that only the
// server's accepts compete for the few free descriptors.
TEST(TcpListener, OutOfDescriptorsShedsNewPeersKeepsServingAndRecovers) {
  constexpr int kFree = 4;
  constexpr std::size_t kClients = 24;
  eddy::Loop loop;
  std::unordered_map<TcpConnection*, TcpConnection::Ptr> connections;
  std::set<std::uint16_t> served_ports;  // client ports the server accepted
  TcpListener listener(loop, [&](UniqueFd socket, const SocketAddress& peer) {
    auto connection = TcpConnection::adopt(loop, std::move(socket));
    TcpConnection* raw = connection.get();
    connection->on_data([](TcpConnection& c, Buffer& input) { c.write(std::move(input)); });
    connection->on_close([&connections, raw](TcpConnection&, const eddy::CloseInfo&) { connections.erase(raw); });
    connection->start();
    connections.emplace(raw, std::move(connection));
    served_ports.insert(peer.port());
  });
  ASSERT_FALSE(listener.listen(*SocketAddress::parse("127.0.0.1", 0)));
  const SocketAddress server = listener.local_address();
  std::vector<UniqueFd> clients;
  for (std::size_t i = 0; i < kClients; ++i) {
    clients.push_back(client_socket());
  }
  auto port_of = [&](std::size_t i) { return SocketAddress::local_of(clients[i].get())->port(); };
  auto echo_works = [&](std::size_t i) {
    if (send_some(clients[i].get(), "ping") != 4) {
      return false;
    }
    std::string echoed;
    return run_until(loop, [&] {
      return read_available(clients[i].get(), echoed) != PeerState::kOpen || echoed.size() >= 4;
    }) && echoed == "ping";
  };

  warnings = 0;
  eddy::set_log_sink(count_warnings);
  warm_up_sanitizer_checks();
  const auto started = eddy::Clock::now();
  {
    FewFreeDescriptors limit(kFree);

    // 1. Three clients take three of the four free descriptors.
    for (std::size_t i = 0; i < 3; ++i) {
      start_connect(clients[i].get(), server);
    }
    ASSERT_TRUE(run_until(loop, [&] { return connections.size() == 3; }));

    // 2. Twelve more at once: one fits, the rest must be shed, not left
    //    waiting in the backlog, and the listener must not spin or stop.
    for (std::size_t i = 3; i < 15; ++i) {
      start_connect(clients[i].get(), server);
    }
    ASSERT_TRUE(run_until(loop, [&] { return served_ports.size() + listener.shed_count() == 15; }))
        << served_ports.size() << " served, " << listener.shed_count() << " shed";
    EXPECT_GT(listener.shed_count(), 0U);
    EXPECT_EQ(served_ports.size(), 4U);
    for (std::size_t i = 3; i < 15; ++i) {
      if (served_ports.count(port_of(i)) != 0) {
        continue;
      }
      std::string ignored;
      EXPECT_NE(eddy::test::read_until_closed(clients[i].get(), ignored, 2s), PeerState::kOpen)
          << "shed client " << i << " was left hanging";
    }
    EXPECT_TRUE(listener.is_listening());

    // 3. Everyone served keeps being served.
    for (std::size_t i = 0; i < 15; ++i) {
      if (served_ports.count(port_of(i)) != 0) {
        EXPECT_TRUE(echo_works(i)) << "client " << i;
      }
    }

    // 4. Two clients leave; their descriptors come back and two newcomers
    //    are served.
    const std::uint64_t shed_before = listener.shed_count();
    std::size_t left = 0;
    for (std::size_t i = 0; i < 15 && left < 2; ++i) {
      if (served_ports.count(port_of(i)) != 0) {
        clients[i].reset();
        ++left;
      }
    }
    ASSERT_TRUE(run_until(loop, [&] { return connections.size() == 2; }));
    for (std::size_t i = 15; i < 17; ++i) {
      start_connect(clients[i].get(), server);
    }
    ASSERT_TRUE(run_until(loop, [&] { return connections.size() == 4; }));
    EXPECT_EQ(listener.shed_count(), shed_before);
    EXPECT_TRUE(echo_works(15));
    EXPECT_TRUE(echo_works(16));
  }
  eddy::set_log_sink(nullptr);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(eddy::Clock::now() - started).count();
  EXPECT_GE(warnings.load(), 1) << "shedding was not logged";
  EXPECT_LE(warnings.load(), 1 + seconds) << "logged more than once per second";
}

}  // namespace
