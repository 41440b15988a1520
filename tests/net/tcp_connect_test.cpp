// eddy::connect(): success, refusal, host names, timeouts. The callback
// runs exactly once, from the loop, never from inside connect().
#include "net/open_fds.hpp"
#include "net/peer_io.hpp"
#include "net/run_for.hpp"
#include "support/loopback.hpp"
#include "support/run_until.hpp"
#include "support/watchdog.hpp"

#include <eddy/buffer.hpp>
#include <eddy/loop.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/tcp_connect.hpp>
#include <eddy/tcp_connection.hpp>
#include <eddy/tcp_listener.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::SocketAddress;
using eddy::TcpConnection;
using eddy::UniqueFd;
using eddy::test::kDeadline;
using eddy::test::run_for;
using eddy::test::run_until;

// What a connect callback saw.
struct Outcome {
  bool inside_connect = false;  // set around the connect() call
  std::size_t calls = 0;
  std::size_t calls_inside_connect = 0;
  std::error_code error;
  TcpConnection::Ptr connection;
  eddy::TimePoint at{};
};

// Calls eddy::connect with a callback that records into `outcome`,
// including whether it ran inside the connect() call.
template <typename... Target>
void connect_recording(eddy::Loop& loop, Outcome& outcome, eddy::Duration timeout, Target&&... target) {
  outcome.inside_connect = true;
  eddy::connect(loop, std::forward<Target>(target)..., timeout,
                [&outcome](std::error_code ec, TcpConnection::Ptr connection) {
                  ++outcome.calls;
                  if (outcome.inside_connect) {
                    ++outcome.calls_inside_connect;
                  }
                  outcome.error = ec;
                  outcome.connection = std::move(connection);
                  outcome.at = eddy::Clock::now();
                });
  outcome.inside_connect = false;
}

// A raw listener that never accepts, with the given backlog.
struct SilentListener {
  UniqueFd socket;
  SocketAddress address;

  explicit SilentListener(int backlog, const char* ip = "127.0.0.1") {
    const SocketAddress any = *SocketAddress::parse(ip, 0);
    socket = UniqueFd(::socket(any.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!socket || ::bind(socket.get(), any.get(), any.size()) != 0 || ::listen(socket.get(), backlog) != 0) {
      throw std::system_error(errno, std::generic_category(), "listen");
    }
    address = *SocketAddress::local_of(socket.get());
  }
};

TEST(TcpConnect, ConnectsToAListeningPortAndTheConnectionWorks) {
  eddy::Loop loop;
  std::vector<UniqueFd> accepted;
  eddy::TcpListener listener(loop, [&](UniqueFd socket, const SocketAddress&) { accepted.push_back(std::move(socket)); });
  ASSERT_FALSE(listener.listen(*SocketAddress::parse("127.0.0.1", 0)));
  Outcome outcome;
  connect_recording(loop, outcome, 5s, listener.local_address());
  ASSERT_TRUE(run_until(loop, [&] { return outcome.calls > 0 && !accepted.empty(); }));
  EXPECT_EQ(outcome.calls_inside_connect, 0U);
  ASSERT_FALSE(outcome.error) << outcome.error.message();
  ASSERT_NE(outcome.connection, nullptr);
  EXPECT_EQ(outcome.connection->peer_address()->to_string(), listener.local_address().to_string());

  std::string received;
  outcome.connection->on_data([&](TcpConnection&, eddy::Buffer& input) {
    received.append(input.contiguous(input.size()));
    input.clear();
  });
  outcome.connection->start();
  ASSERT_TRUE(outcome.connection->write("to the server"));
  ASSERT_TRUE(eddy::test::wait_readable(accepted[0].get(), kDeadline));
  std::string at_server;
  eddy::test::read_available(accepted[0].get(), at_server);
  EXPECT_EQ(at_server, "to the server");
  ASSERT_EQ(eddy::test::send_some(accepted[0].get(), "back"), 4U);
  ASSERT_TRUE(run_until(loop, [&] { return received == "back"; }));
  run_for(loop, 20ms);
  EXPECT_EQ(outcome.calls, 1U);
}

TEST(TcpConnect, ARefusedPortIsReportedOnceFromTheLoop) {
  eddy::Loop loop;
  eddy::test::RefusingPort refusing;
  Outcome outcome;
  connect_recording(loop, outcome, 5s, *SocketAddress::parse("127.0.0.1", refusing.port()));
  EXPECT_EQ(outcome.calls, 0U) << "called back from inside connect()";
  ASSERT_TRUE(run_until(loop, [&] { return outcome.calls > 0; }));
  run_for(loop, 50ms);
  EXPECT_EQ(outcome.calls, 1U);
  EXPECT_EQ(outcome.calls_inside_connect, 0U);
  EXPECT_EQ(outcome.error, std::errc::connection_refused) << outcome.error.message();
  EXPECT_EQ(outcome.connection, nullptr);
}

TEST(TcpConnect, RunReturnsOnceTheAttemptHasCompleted) {
  eddy::Loop loop;
  eddy::test::RefusingPort refusing;
  Outcome outcome;
  connect_recording(loop, outcome, 5s, "127.0.0.1", refusing.port());
  {
    eddy::test::Watchdog watchdog(loop);
    loop.run();  // kept running by the attempt alone; returns after it
  }
  EXPECT_EQ(outcome.calls, 1U);
  EXPECT_EQ(outcome.error, std::errc::connection_refused) << outcome.error.message();
}

TEST(TcpConnect, LocalhostConnectsToTheLoopback) {
  eddy::Loop loop;
  std::vector<UniqueFd> accepted;
  eddy::TcpListener listener(loop, [&](UniqueFd socket, const SocketAddress&) { accepted.push_back(std::move(socket)); });
  ASSERT_FALSE(listener.listen(*SocketAddress::parse("127.0.0.1", 0)));
  Outcome outcome;
  connect_recording(loop, outcome, 5s, "localhost", listener.local_address().port());
  ASSERT_TRUE(run_until(loop, [&] { return outcome.calls > 0 && !accepted.empty(); }));
  EXPECT_FALSE(outcome.error) << outcome.error.message();
  EXPECT_NE(outcome.connection, nullptr);
}

TEST(TcpConnect, ANumericIpv6HostConnects) {
  eddy::Loop loop;
  std::vector<UniqueFd> accepted;
  eddy::TcpListener listener(loop, [&](UniqueFd socket, const SocketAddress&) { accepted.push_back(std::move(socket)); });
  if (listener.listen(*SocketAddress::parse("::1", 0))) {
    GTEST_SKIP() << "no IPv6 loopback on this machine";
  }
  Outcome outcome;
  connect_recording(loop, outcome, 5s, "::1", listener.local_address().port());
  ASSERT_TRUE(run_until(loop, [&] { return outcome.calls > 0 && !accepted.empty(); }));
  EXPECT_FALSE(outcome.error) << outcome.error.message();
  ASSERT_NE(outcome.connection, nullptr);
  EXPECT_EQ(outcome.connection->peer_address()->ip(), "::1");
}

TEST(TcpConnect, AHostNameOtherThanLocalhostIsAnInvalidArgumentReportedFromTheLoop) {
  eddy::Loop loop;
  Outcome outcome;
  connect_recording(loop, outcome, 5s, "not-a-host", std::uint16_t{80});
  EXPECT_EQ(outcome.calls, 0U) << "called back from inside connect()";
  ASSERT_TRUE(run_until(loop, [&] { return outcome.calls > 0; }));
  run_for(loop, 20ms);
  EXPECT_EQ(outcome.calls, 1U);
  EXPECT_EQ(outcome.error, std::errc::invalid_argument) << outcome.error.message();
  EXPECT_EQ(outcome.connection, nullptr);
}

TEST(TcpConnect, TheCallbackMayConnectAgain) {
  eddy::Loop loop;
  eddy::test::RefusingPort refusing;
  const SocketAddress target = *SocketAddress::parse("127.0.0.1", refusing.port());
  int attempts = 0;
  std::function<void()> attempt = [&] {
    eddy::connect(loop, target, 5s, [&](std::error_code ec, TcpConnection::Ptr) {
      EXPECT_EQ(ec, std::errc::connection_refused);
      if (++attempts < 5) {
        attempt();
      }
    });
  };
  attempt();
  ASSERT_TRUE(run_until(loop, [&] { return attempts == 5; }));
  run_for(loop, 20ms);
  EXPECT_EQ(attempts, 5);
}

// A handshake that cannot complete: a listener with a full accept queue
// drops further SYNs (Linux, tcp_abort_on_overflow = 0), so the client keeps
// retransmitting and the attempt must end at the timeout, not before.
TEST(TcpConnect, TimesOutWhenTheHandshakeCannotComplete) {
  eddy::Loop loop;
  SilentListener full(0);
  // Fill the accept queue (a backlog of 0 still admits one connection).
  std::vector<UniqueFd> fillers;
  for (int i = 0; i < 4; ++i) {
    fillers.push_back(eddy::test::start_connect(full.address.port()));
  }
  run_for(loop, 50ms);
  const std::size_t fds_before = eddy::test::open_fd_count();

  constexpr auto kTimeout = 200ms;
  Outcome outcome;
  const auto started = eddy::Clock::now();
  connect_recording(loop, outcome, kTimeout, full.address);
  ASSERT_TRUE(run_until(loop, [&] { return outcome.calls > 0; }));
  if (!outcome.error) {
    GTEST_SKIP() << "this kernel completed a handshake with a full accept queue; no timeout to provoke";
  }
  EXPECT_EQ(outcome.error, std::errc::timed_out) << outcome.error.message();
  EXPECT_GE(outcome.at - started, kTimeout) << "timed out early";
  EXPECT_EQ(outcome.connection, nullptr);
  run_for(loop, 20ms);
  EXPECT_EQ(outcome.calls, 1U);
  EXPECT_EQ(eddy::test::open_fd_count(), fds_before) << "the timed-out socket was not closed";
  EXPECT_EQ(loop.active_count(), 0U) << "the attempt left a watcher or timer behind";
}

}  // namespace
