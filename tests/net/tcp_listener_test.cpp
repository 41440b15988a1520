// TcpListener over real loopback sockets: IPv4 and IPv6, port 0, address in
// use, SO_REUSEPORT, one socket shared by two loops, accept batches,
// pause/resume/close. Running out of
// descriptors is in tcp_listener_emfile_test.cpp.
#include "net/foreign_socket.hpp"
#include "net/peer_io.hpp"
#include "net/run_for.hpp"
#include "support/loopback.hpp"
#include "support/run_until.hpp"

#include <eddy/loop.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/tcp_listener.hpp>

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::SocketAddress;
using eddy::TcpListener;
using eddy::UniqueFd;
using eddy::test::bind_with_reuse_port;
using eddy::test::kDeadline;
using eddy::test::read_available;
using eddy::test::run_for;
using eddy::test::run_until;
using eddy::test::send_some;

SocketAddress address(const char* ip, std::uint16_t port = 0) { return *SocketAddress::parse(ip, port); }

// A non-blocking client socket of `family`, not connected yet.
UniqueFd client_socket(int family = AF_INET) {
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    throw std::system_error(errno, std::generic_category(), "socket");
  }
  return fd;
}

// Starts a non-blocking connect of `fd` to `to`.
void start_connect(int fd, const SocketAddress& to) {
  if (::connect(fd, to.get(), to.size()) != 0 && errno != EINPROGRESS) {
    throw std::system_error(errno, std::generic_category(), "connect " + to.to_string());
  }
}

UniqueFd connect_to(const SocketAddress& to) {
  UniqueFd fd = client_socket(to.family());
  start_connect(fd.get(), to);
  return fd;
}

bool can_bind(const char* ip) {
  const SocketAddress a = address(ip);
  UniqueFd fd(::socket(a.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  return fd && ::bind(fd.get(), a.get(), a.size()) == 0;
}

// Accepted sockets, kept open, with the peers they came from.
struct Accepted {
  std::vector<UniqueFd> sockets;
  std::vector<SocketAddress> peers;

  TcpListener::AcceptCallback callback() {
    return [this](UniqueFd socket, const SocketAddress& peer) {
      sockets.push_back(std::move(socket));
      peers.push_back(peer);
    };
  }
};

void check_listens_and_accepts(const char* ip) {
  eddy::Loop loop;
  Accepted accepted;
  TcpListener listener(loop, accepted.callback());
  EXPECT_FALSE(listener.is_listening());
  ASSERT_FALSE(listener.listen(address(ip)));
  EXPECT_TRUE(listener.is_listening());
  const SocketAddress local = listener.local_address();
  EXPECT_NE(local.port(), 0) << "port 0 must be replaced by the port the kernel chose";
  EXPECT_EQ(local.ip(), ip);

  UniqueFd client = connect_to(local);
  ASSERT_TRUE(run_until(loop, [&] { return accepted.sockets.size() == 1; }));
  const auto client_address = SocketAddress::local_of(client.get());
  ASSERT_TRUE(client_address);
  EXPECT_EQ(accepted.peers[0].to_string(), client_address->to_string());
  EXPECT_EQ(SocketAddress::local_of(accepted.sockets[0].get())->to_string(), local.to_string());
  // The accepted socket is a working connection, handed over non-blocking.
  ASSERT_EQ(send_some(accepted.sockets[0].get(), "over"), 4U);
  ASSERT_TRUE(eddy::test::wait_readable(client.get(), kDeadline));
  std::string received;
  read_available(client.get(), received);
  EXPECT_EQ(received, "over");
}

TEST(TcpListener, ListensOnIpv4PortZeroAndReportsTheRealPort) { check_listens_and_accepts("127.0.0.1"); }

TEST(TcpListener, ListensOnIpv6Loopback) {
  if (!can_bind("::1")) {
    GTEST_SKIP() << "no IPv6 loopback on this machine";
  }
  check_listens_and_accepts("::1");
}

TEST(TcpListener, AnAddressInUseIsReportedAsEaddrinuse) {
  eddy::Loop loop;
  Accepted accepted;
  TcpListener first(loop, accepted.callback());
  ASSERT_FALSE(first.listen(address("127.0.0.1")));
  TcpListener second(loop, accepted.callback());
  const std::error_code ec = second.listen(first.local_address());
  EXPECT_EQ(ec, std::errc::address_in_use) << ec.message();
  EXPECT_NE(ec.message().find("in use"), std::string::npos) << ec.message();
  EXPECT_FALSE(second.is_listening());
  EXPECT_TRUE(first.is_listening());
}

TEST(TcpListener, ReusePortLetsTwoListenersShareAPort) {
  eddy::Loop loop;
  Accepted a;
  Accepted b;
  TcpListener first(loop, a.callback());
  TcpListener second(loop, b.callback());
  ASSERT_FALSE(first.listen(address("127.0.0.1"), {.reuse_port = true}));
  ASSERT_FALSE(second.listen(first.local_address(), {.reuse_port = true}));
  EXPECT_EQ(second.local_address().port(), first.local_address().port());

  std::vector<UniqueFd> clients;
  for (int i = 0; i < 64; ++i) {
    clients.push_back(connect_to(first.local_address()));
  }
  ASSERT_TRUE(run_until(loop, [&] { return a.sockets.size() + b.sockets.size() == clients.size(); }));
  // The kernel spreads connections by a hash of the peer's address: with 64
  // peers each listener gets some (all on one: probability 2^-63).
  EXPECT_GT(a.sockets.size(), 0U);
  EXPECT_GT(b.sockets.size(), 0U);
}

TEST(TcpListener, WithoutReusePortNoReusePortSocketCanJoinThePort) {
  eddy::Loop loop;
  Accepted accepted;
  TcpListener listener(loop, accepted.callback());
  ASSERT_FALSE(listener.listen(address("127.0.0.1")));
  EXPECT_EQ(bind_with_reuse_port(listener.local_address()), EADDRINUSE);

  TcpListener open_to_all(loop, accepted.callback());
  ASSERT_FALSE(open_to_all.listen(address("127.0.0.1"), {.reuse_port = true}));
  EXPECT_EQ(bind_with_reuse_port(open_to_all.local_address()), 0) << "reuse_port is the opt-in to share";
}

TEST(TcpListener, ShareAcceptsOnTheFirstListenersSocketFromAnotherLoop) {
  eddy::Loop first_loop;
  eddy::Loop second_loop;
  Accepted a;
  Accepted b;
  TcpListener first(first_loop, a.callback());
  TcpListener second(second_loop, b.callback());
  ASSERT_FALSE(first.listen(address("127.0.0.1")));
  ASSERT_FALSE(second.share(first));
  EXPECT_TRUE(second.is_listening());
  EXPECT_EQ(second.local_address().to_string(), first.local_address().to_string());
  EXPECT_EQ(bind_with_reuse_port(first.local_address()), EADDRINUSE) << "sharing opened the port to others";

  // The first loop is paused: everything is accepted on the second's.
  first.pause();
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(connect_to(first.local_address()));
  }
  ASSERT_TRUE(run_until(second_loop, [&] { return b.sockets.size() == clients.size(); }));
  EXPECT_TRUE(a.sockets.empty());

  // Closing the first leaves the port open on the second's duplicate.
  first.close();
  clients.push_back(connect_to(second.local_address()));
  ASSERT_TRUE(run_until(second_loop, [&] { return b.sockets.size() == clients.size(); }));
}

TEST(TcpListener, EveryClientIsAcceptedOnceByOneOfTwoSharingLoops) {
  eddy::Loop first_loop;
  eddy::Loop second_loop;
  Accepted a;
  Accepted b;
  TcpListener first(first_loop, a.callback());
  TcpListener second(second_loop, b.callback());
  ASSERT_FALSE(first.listen(address("127.0.0.1")));
  ASSERT_FALSE(second.share(first));
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 64; ++i) {
    clients.push_back(connect_to(first.local_address()));
  }
  const auto all_accepted = [&] { return a.sockets.size() + b.sockets.size() == clients.size(); };
  const auto deadline = eddy::Clock::now() + kDeadline;
  while (!all_accepted() && eddy::Clock::now() < deadline) {
    first_loop.run_once(1ms);
    second_loop.run_once(1ms);
  }
  ASSERT_TRUE(all_accepted());
  run_for(first_loop, 20ms);
  run_for(second_loop, 20ms);
  std::set<std::string> peers;
  for (const auto* accepted : {&a, &b}) {
    for (const SocketAddress& peer : accepted->peers) {
      peers.insert(peer.to_string());
    }
  }
  EXPECT_EQ(peers.size(), clients.size()) << "a client was accepted twice, or one was lost";
}

TEST(TcpListener, ShareOfAListenerThatIsNotListeningFailsWithEbadf) {
  eddy::Loop loop;
  Accepted accepted;
  TcpListener first(loop, accepted.callback());
  TcpListener second(loop, accepted.callback());
  EXPECT_EQ(second.share(first), std::errc::bad_file_descriptor);
  EXPECT_FALSE(second.is_listening());
}

TEST(TcpListener, AcceptsABurstOfTwoHundredClientsInBatches) {
  constexpr std::size_t kBatch = 16;
  constexpr std::size_t kClients = 200;
  eddy::Loop loop;
  Accepted accepted;
  TcpListener listener(loop, accepted.callback());
  ASSERT_FALSE(listener.listen(address("127.0.0.1"), {.accept_batch = kBatch}));
  std::vector<UniqueFd> clients;
  for (std::size_t i = 0; i < kClients; ++i) {
    clients.push_back(connect_to(listener.local_address()));
  }
  std::size_t largest_step = 0;
  std::size_t iterations = 0;
  const auto give_up = eddy::Clock::now() + kDeadline;
  while (accepted.sockets.size() < kClients && eddy::Clock::now() < give_up) {
    const std::size_t before = accepted.sockets.size();
    loop.run_once(10ms);
    largest_step = std::max(largest_step, accepted.sockets.size() - before);
    ++iterations;
  }
  ASSERT_EQ(accepted.sockets.size(), kClients);
  EXPECT_LE(largest_step, kBatch) << "one readiness accepted more than accept_batch";
  EXPECT_GE(largest_step, 2U) << "never accepted more than one per readiness";
  std::set<std::string> peers;
  for (const auto& peer : accepted.peers) {
    peers.insert(peer.to_string());
  }
  EXPECT_EQ(peers.size(), kClients) << "a client was accepted twice";
}

TEST(TcpListener, PauseLeavesPeersInTheBacklogAndResumeAcceptsThem) {
  eddy::Loop loop;
  Accepted accepted;
  TcpListener listener(loop, accepted.callback());
  ASSERT_FALSE(listener.listen(address("127.0.0.1")));
  listener.pause();
  EXPECT_TRUE(listener.is_listening());
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(connect_to(listener.local_address()));
  }
  run_for(loop, 100ms);
  EXPECT_TRUE(accepted.sockets.empty()) << "accepted while paused";
  listener.resume();
  ASSERT_TRUE(run_until(loop, [&] { return accepted.sockets.size() == clients.size(); }));
}

TEST(TcpListener, PauseInsideOnAcceptStopsTheBatch) {
  eddy::Loop loop;
  std::size_t accepted = 0;
  std::vector<UniqueFd> kept;
  TcpListener* self = nullptr;
  TcpListener listener(loop, [&](UniqueFd socket, const SocketAddress&) {
    ++accepted;
    kept.push_back(std::move(socket));
    if (accepted == 1) {
      self->pause();
    }
  });
  self = &listener;
  ASSERT_FALSE(listener.listen(address("127.0.0.1")));
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connect_to(listener.local_address()));
  }
  ASSERT_TRUE(run_until(loop, [&] { return accepted > 0; }));
  run_for(loop, 50ms);
  EXPECT_EQ(accepted, 1U);
  listener.resume();
  ASSERT_TRUE(run_until(loop, [&] { return accepted == 3; }));
}

TEST(TcpListener, CloseStopsListeningAndRefusesNewPeers) {
  eddy::Loop loop;
  Accepted accepted;
  TcpListener listener(loop, accepted.callback());
  ASSERT_FALSE(listener.listen(address("127.0.0.1")));
  const SocketAddress local = listener.local_address();
  listener.close();
  EXPECT_FALSE(listener.is_listening());
  UniqueFd client = connect_to(local);
  pollfd p{client.get(), POLLOUT, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  EXPECT_EQ(eddy::test::take_socket_error(client.get()), ECONNREFUSED);
  EXPECT_EQ(loop.active_count(), 0U);
}

TEST(TcpListener, CloseInsideOnAcceptIsSafe) {
  eddy::Loop loop;
  std::size_t accepted = 0;
  TcpListener* self = nullptr;
  TcpListener listener(loop, [&](UniqueFd, const SocketAddress&) {
    ++accepted;
    self->close();
  });
  self = &listener;
  ASSERT_FALSE(listener.listen(address("127.0.0.1")));
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connect_to(listener.local_address()));
  }
  ASSERT_TRUE(run_until(loop, [&] { return accepted > 0; }));
  run_for(loop, 50ms);
  EXPECT_EQ(accepted, 1U);
  EXPECT_FALSE(listener.is_listening());
}

}  // namespace
