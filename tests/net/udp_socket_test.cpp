// UdpSocket over loopback: bind, send_to and receive with the sender's
// address, large and truncated datagrams, a burst, ICMP errors, IPv6, and
// close() inside the receive callback.
#include "net/random_bytes.hpp"
#include "net/run_for.hpp"
#include "support/run_until.hpp"

#include <eddy/loop.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/udp_socket.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::SocketAddress;
using eddy::UdpSocket;
using eddy::test::run_for;
using eddy::test::run_until;

struct Received {
  std::string data;
  SocketAddress peer;
  bool truncated;
};

// A socket that records every datagram it receives.
struct Recorder {
  std::vector<Received> datagrams;
  UdpSocket socket;

  explicit Recorder(eddy::Loop& loop, std::size_t max_datagram = 65536)
      : socket(
            loop,
            [this](UdpSocket&, const UdpSocket::Datagram& d) {
              datagrams.push_back({std::string(d.data.data(), d.data.size()), d.peer, d.truncated});
            },
            max_datagram) {}
};

SocketAddress any_port(const char* ip = "127.0.0.1") { return *SocketAddress::parse(ip, 0); }

std::span<const char> bytes(const std::string& s) { return {s.data(), s.size()}; }

void check_exchange(const char* ip) {
  eddy::Loop loop;
  Recorder a(loop);
  Recorder b(loop);
  ASSERT_FALSE(a.socket.bind(any_port(ip)));
  ASSERT_FALSE(b.socket.bind(any_port(ip)));
  EXPECT_NE(a.socket.local_address().port(), 0);
  EXPECT_NE(b.socket.local_address().port(), 0);
  EXPECT_EQ(a.socket.local_address().ip(), ip);

  const std::string hello("hello\0udp", 9);
  ASSERT_FALSE(a.socket.send_to(bytes(hello), b.socket.local_address()));
  ASSERT_TRUE(run_until(loop, [&] { return !b.datagrams.empty(); }));
  EXPECT_EQ(b.datagrams[0].data, hello);
  EXPECT_FALSE(b.datagrams[0].truncated);
  EXPECT_EQ(b.datagrams[0].peer.to_string(), a.socket.local_address().to_string());

  // Reply to whatever address the datagram came from.
  ASSERT_FALSE(b.socket.send_to(bytes(std::string("back")), b.datagrams[0].peer));
  ASSERT_TRUE(run_until(loop, [&] { return !a.datagrams.empty(); }));
  EXPECT_EQ(a.datagrams[0].data, "back");
  EXPECT_EQ(a.datagrams[0].peer.to_string(), b.socket.local_address().to_string());
}

TEST(UdpSocket, BindsPortZeroAndExchangesDatagramsWithTheSendersAddress) { check_exchange("127.0.0.1"); }

TEST(UdpSocket, ExchangesDatagramsOverIpv6) {
  eddy::Loop loop;
  UdpSocket probe(loop, [](UdpSocket&, const UdpSocket::Datagram&) {});
  if (probe.bind(any_port("::1"))) {
    GTEST_SKIP() << "no IPv6 loopback on this machine";
  }
  probe.close();
  check_exchange("::1");
}

TEST(UdpSocket, AnOpenedUnboundSocketGetsRepliesToItsEphemeralPort) {
  eddy::Loop loop;
  Recorder client(loop);
  Recorder server(loop);
  ASSERT_FALSE(server.socket.bind(any_port()));
  ASSERT_FALSE(client.socket.open(AF_INET));
  ASSERT_FALSE(client.socket.send_to(bytes(std::string("ping")), server.socket.local_address()));
  ASSERT_TRUE(run_until(loop, [&] { return !server.datagrams.empty(); }));
  EXPECT_NE(server.datagrams[0].peer.port(), 0);
  ASSERT_FALSE(server.socket.send_to(bytes(std::string("pong")), server.datagrams[0].peer));
  ASSERT_TRUE(run_until(loop, [&] { return !client.datagrams.empty(); }));
  EXPECT_EQ(client.datagrams[0].data, "pong");
}

TEST(UdpSocket, CarriesA65000ByteDatagramIntact) {
  eddy::Loop loop;
  Recorder a(loop);
  Recorder b(loop);
  ASSERT_FALSE(a.socket.bind(any_port()));
  ASSERT_FALSE(b.socket.bind(any_port()));
  const std::string big = eddy::test::random_bytes(65000, 21);
  const std::error_code ec = a.socket.send_to(bytes(big), b.socket.local_address());
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(run_until(loop, [&] { return !b.datagrams.empty(); }));
  EXPECT_FALSE(b.datagrams[0].truncated);
  EXPECT_EQ(b.datagrams[0].data.size(), big.size());
  EXPECT_EQ(b.datagrams[0].data, big);
}

TEST(UdpSocket, ADatagramLongerThanMaxDatagramIsTruncatedAndSaysSo) {
  eddy::Loop loop;
  Recorder a(loop);
  Recorder b(loop, 100);
  ASSERT_FALSE(a.socket.bind(any_port()));
  ASSERT_FALSE(b.socket.bind(any_port()));
  const std::string long_one = eddy::test::random_bytes(1000, 22);
  ASSERT_FALSE(a.socket.send_to(bytes(long_one), b.socket.local_address()));
  const std::string exact = eddy::test::random_bytes(100, 23);
  ASSERT_FALSE(a.socket.send_to(bytes(exact), b.socket.local_address()));
  ASSERT_TRUE(run_until(loop, [&] { return b.datagrams.size() == 2; }));
  EXPECT_TRUE(b.datagrams[0].truncated);
  EXPECT_EQ(b.datagrams[0].data, long_one.substr(0, 100));
  EXPECT_FALSE(b.datagrams[1].truncated) << "a datagram of exactly max_datagram bytes is whole";
  EXPECT_EQ(b.datagrams[1].data, exact);
}

// Datagram i: its 4-byte index, then bytes derived from it, so that a
// corrupted, mixed or duplicated datagram is recognised.
std::string numbered(std::uint32_t i) {
  std::string d(4, '\0');
  std::memcpy(d.data(), &i, 4);
  d += eddy::test::random_bytes(200 + i % 300, i);
  return d;
}

TEST(UdpSocket, ABurstOfAThousandDatagramsArrivesUncorrupted) {
  constexpr std::uint32_t kCount = 1000;
  eddy::Loop loop;
  Recorder a(loop);
  Recorder b(loop);
  ASSERT_FALSE(a.socket.bind(any_port()));
  ASSERT_FALSE(b.socket.bind(any_port()));
  std::size_t sent = 0;
  for (std::uint32_t i = 0; i < kCount; ++i) {
    const std::string d = numbered(i);
    const std::error_code ec = a.socket.send_to(bytes(d), b.socket.local_address());
    if (!ec) {
      ++sent;
    } else {
      EXPECT_EQ(ec, std::errc::resource_unavailable_try_again) << ec.message();
    }
  }
  // UDP may drop under a burst: wait for all, or for a quiet 200 ms.
  std::size_t seen = 0;
  auto quiet_since = eddy::Clock::now();
  ASSERT_TRUE(run_until(loop, [&] {
    if (b.datagrams.size() != seen) {
      seen = b.datagrams.size();
      quiet_since = eddy::Clock::now();
    }
    return seen == sent || eddy::Clock::now() - quiet_since > 200ms;
  }));
  EXPECT_GT(b.datagrams.size(), 0U);
  EXPECT_LE(b.datagrams.size(), sent);
  std::set<std::uint32_t> indices;
  for (const Received& r : b.datagrams) {
    ASSERT_GE(r.data.size(), 4U);
    std::uint32_t i = 0;
    std::memcpy(&i, r.data.data(), 4);
    ASSERT_LT(i, kCount);
    EXPECT_EQ(r.data, numbered(i)) << "datagram " << i << " corrupted";
    EXPECT_TRUE(indices.insert(i).second) << "datagram " << i << " delivered twice";
  }
  RecordProperty("received", static_cast<int>(b.datagrams.size()));
}

// An ICMP port unreachable for an earlier send_to concerns that datagram
// only: the socket goes on sending and receiving.
TEST(UdpSocket, SendingToAClosedPortDoesNotBreakTheSocket) {
  eddy::Loop loop;
  Recorder a(loop);
  Recorder b(loop);
  ASSERT_FALSE(a.socket.bind(any_port()));
  ASSERT_FALSE(b.socket.bind(any_port()));
  SocketAddress closed;
  {
    UdpSocket gone(loop, [](UdpSocket&, const UdpSocket::Datagram&) {});
    ASSERT_FALSE(gone.bind(any_port()));
    closed = gone.local_address();
  }
  for (int i = 0; i < 3; ++i) {
    a.socket.send_to(bytes(std::string("nobody")), closed);
    run_for(loop, 10ms);
  }
  ASSERT_FALSE(a.socket.send_to(bytes(std::string("somebody")), b.socket.local_address()));
  ASSERT_TRUE(run_until(loop, [&] { return !b.datagrams.empty(); }));
  EXPECT_EQ(b.datagrams[0].data, "somebody");
  ASSERT_FALSE(b.socket.send_to(bytes(std::string("reply")), b.datagrams[0].peer));
  ASSERT_TRUE(run_until(loop, [&] { return !a.datagrams.empty(); }));
  EXPECT_EQ(a.datagrams[0].data, "reply");
  EXPECT_GE(a.socket.fd(), 0);
}

TEST(UdpSocket, CloseInsideTheReceiveCallbackStopsDelivery) {
  eddy::Loop loop;
  Recorder a(loop);
  ASSERT_FALSE(a.socket.bind(any_port()));
  std::size_t calls = 0;
  UdpSocket b(loop, [&](UdpSocket& self, const UdpSocket::Datagram&) {
    ++calls;
    self.close();
  });
  ASSERT_FALSE(b.bind(any_port()));
  const SocketAddress to = b.local_address();
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(a.socket.send_to(bytes(std::string("x")), to));
  }
  ASSERT_TRUE(run_until(loop, [&] { return calls > 0; }));
  run_for(loop, 50ms);
  EXPECT_EQ(calls, 1U);
  EXPECT_LT(b.fd(), 0);
}

TEST(UdpSocket, BindingAPortInUseFails) {
  eddy::Loop loop;
  Recorder a(loop);
  Recorder b(loop);
  ASSERT_FALSE(a.socket.bind(any_port()));
  const std::error_code ec = b.socket.bind(a.socket.local_address());
  EXPECT_EQ(ec, std::errc::address_in_use) << ec.message();
  EXPECT_LT(b.socket.fd(), 0);
}

}  // namespace
