// TcpServer's server-wide callbacks (on_data and on_close set on the
// server, no ConnectionCallback needed), a connection's own callbacks taking
// precedence with the server's as fallback for the rest, set_counters on a
// server connection, and buffer pairs recycled across a server's
// connections carrying no byte from one to another. Clients are plain
// sockets driven from the test thread. A single connection's buffer pair is
// in tcp_connection_buffer_loan_test.cpp.
#include "net/peer_io.hpp"
#include "net/random_bytes.hpp"
#include "net/server_harness.hpp"
#include "support/backend.hpp"

#include <eddy/buffer.hpp>
#include <eddy/close_reason.hpp>
#include <eddy/tcp_connection.hpp>
#include <eddy/tcp_server.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::Buffer;
using eddy::Clock;
using eddy::CloseInfo;
using eddy::CloseReason;
using eddy::Duration;
using eddy::TcpConnection;
using eddy::TcpServer;
using eddy::UniqueFd;
using eddy::test::connect_client;
using eddy::test::eventually;
using eddy::test::first_difference;
using eddy::test::PeerState;
using eddy::test::random_bytes;
using eddy::test::read_available;
using eddy::test::send_some;
using eddy::test::server_options;
using eddy::test::within;

constexpr auto echo_input = [](TcpConnection& connection, Buffer& input) { connection.write(std::move(input)); };

// A payload no other client sends: a text tag, then binary bytes.
std::string tagged_payload(std::size_t client, std::size_t round, std::size_t size) {
  std::string payload = "client " + std::to_string(client) + " round " + std::to_string(round) + ":";
  payload += random_bytes(size, static_cast<std::uint32_t>(client * 1000 + round));
  return payload;
}

// Sends payloads[i] on clients[i] and reads until every client has received
// as many bytes as it sent (or its connection ended, or the deadline
// passed), all clients at once: none waits for another. Returns what each
// client received.
std::vector<std::string> send_and_collect(const std::vector<UniqueFd>& clients,
                                          const std::vector<std::string>& payloads, Duration deadline = 20s) {
  std::vector<std::size_t> sent(clients.size(), 0);
  std::vector<std::string> received(clients.size());
  std::vector<bool> ended(clients.size(), false);
  const auto give_up = Clock::now() + deadline;
  bool done = false;
  while (!done && Clock::now() < give_up) {
    done = true;
    bool moved = false;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (sent[i] < payloads[i].size()) {
        const std::size_t n = send_some(clients[i].get(), std::string_view(payloads[i]).substr(sent[i]));
        sent[i] += n;
        moved = moved || n > 0;
      }
      if (!ended[i] && received[i].size() < payloads[i].size()) {
        const std::size_t before = received[i].size();
        ended[i] = read_available(clients[i].get(), received[i]) != PeerState::kOpen;
        moved = moved || received[i].size() != before;
      }
      done = done && (ended[i] || received[i].size() >= payloads[i].size());
    }
    if (!done && !moved) {
      std::this_thread::sleep_for(1ms);
    }
  }
  return received;
}

// Connects `count` clients one at a time, each only once the server has
// accepted the one before (`accepted` counts ConnectionCallback calls): the
// i-th connection the server sees is clients[i], on any number of threads.
std::vector<UniqueFd> connect_in_order(const TcpServer& server, const std::atomic<std::size_t>& accepted,
                                       std::size_t count) {
  std::vector<UniqueFd> clients;
  for (std::size_t i = 0; i < count; ++i) {
    clients.push_back(connect_client(server.local_address()));
    EXPECT_TRUE(eventually([&] { return accepted.load() == i + 1; })) << "client " << i << " was not accepted";
  }
  return clients;
}

TEST(TcpServerHandlers, ServerWideOnDataAloneEchoesTwentyClientsOnTwoThreads) {
  constexpr std::size_t kClients = 20;
  constexpr std::size_t kRounds = 5;
  std::mutex mutex;
  std::set<std::thread::id> threads_used;
  std::set<std::string> backends_used;
  TcpServer server(server_options(2));  // no ConnectionCallback
  server.on_data([&](TcpConnection& c, Buffer& input) {
    {
      std::lock_guard lock(mutex);
      threads_used.insert(std::this_thread::get_id());
      backends_used.emplace(c.loop().backend_name());
    }
    echo_input(c, input);
  });
  server.start();

  std::vector<UniqueFd> clients;
  for (std::size_t i = 0; i < kClients; ++i) {
    clients.push_back(connect_client(server.local_address()));
  }
  std::size_t total = 0;
  for (std::size_t round = 0; round < kRounds; ++round) {
    std::vector<std::string> payloads;
    for (std::size_t i = 0; i < kClients; ++i) {
      payloads.push_back(tagged_payload(i, round, 100 + 997 * i + 3001 * round));
      total += payloads.back().size();
    }
    const std::vector<std::string> echoes = send_and_collect(clients, payloads);
    for (std::size_t i = 0; i < kClients; ++i) {
      ASSERT_EQ(echoes[i].size(), payloads[i].size()) << "client " << i << ", round " << round;
      EXPECT_EQ(first_difference(echoes[i], payloads[i]), std::string::npos) << "client " << i << ", round " << round;
    }
  }
  clients.clear();
  ASSERT_TRUE(eventually([&] { return server.stats().closed == kClients; }));
  const eddy::TcpServerStats stats = server.stats();
  EXPECT_EQ(stats.accepted, kClients);
  EXPECT_EQ(stats.bytes_in, total);
  EXPECT_EQ(stats.bytes_out, total);
  within(10s, "TcpServer::stop", [&] { server.stop(); });
  EXPECT_GT(threads_used.size(), 1U) << "all connections landed on one thread";
  EXPECT_EQ(backends_used, std::set<std::string>{eddy::test::expected_backend_name()});
}

TEST(TcpServerHandlers, ServerWideOnCloseRunsOncePerConnectionWithEofOnTheConnectionsThread) {
  constexpr std::size_t kClients = 24;
  struct Record {
    std::mutex mutex;
    std::map<const TcpConnection*, std::thread::id> open;  // from its first on_data to its on_close
    std::vector<CloseInfo> closes;
    std::size_t unknown_closes = 0;  // on_close for a connection not open: twice, or before on_data
    std::size_t thread_mismatches = 0;
  } record;
  TcpServer server(server_options(2));
  server.on_data([&](TcpConnection& c, Buffer& input) {
    {
      std::lock_guard lock(record.mutex);
      record.open.emplace(&c, std::this_thread::get_id());
    }
    echo_input(c, input);
  });
  server.on_close([&](TcpConnection& c, const CloseInfo& info) {
    std::lock_guard lock(record.mutex);
    record.closes.push_back(info);
    const auto found = record.open.find(&c);
    if (found == record.open.end()) {
      ++record.unknown_closes;
      return;
    }
    if (found->second != std::this_thread::get_id()) {
      ++record.thread_mismatches;
    }
    record.open.erase(found);  // before the server frees it: a later connection may get its address
  });
  server.start();

  std::vector<UniqueFd> clients;
  std::vector<std::string> payloads;
  for (std::size_t i = 0; i < kClients; ++i) {
    clients.push_back(connect_client(server.local_address()));
    payloads.push_back(tagged_payload(i, 0, 10));
  }
  const std::vector<std::string> echoes = send_and_collect(clients, payloads);
  for (std::size_t i = 0; i < kClients; ++i) {
    ASSERT_EQ(echoes[i], payloads[i]) << "client " << i;
  }
  EXPECT_EQ(server.stats().closed, 0U);
  clients.clear();  // FIN from every client: the server reads EOF

  ASSERT_TRUE(eventually([&] { return server.stats().closed == kClients; }));
  {
    std::lock_guard lock(record.mutex);
    EXPECT_EQ(record.closes.size(), kClients);
    EXPECT_EQ(record.unknown_closes, 0U) << "on_close ran twice for a connection, or for one never seen";
    EXPECT_EQ(record.thread_mismatches, 0U) << "on_close ran on another thread than the connection's on_data";
    EXPECT_TRUE(record.open.empty()) << record.open.size() << " connections closed without on_close";
    for (const CloseInfo& info : record.closes) {
      EXPECT_EQ(info.reason, CloseReason::kEof) << eddy::to_string(info.reason);
      EXPECT_FALSE(info.error) << info.error.message();
    }
  }
  const eddy::TcpServerStats stats = server.stats();
  EXPECT_EQ(stats.accepted, kClients);
  EXPECT_EQ(stats.open, 0U);
  within(10s, "TcpServer::stop", [&] { server.stop(); });
  std::lock_guard lock(record.mutex);
  EXPECT_EQ(record.closes.size(), kClients) << "stop() ran on_close again for a closed connection";
}

// Four kinds of connection, by accept order: 0 sets its own on_data (adds
// one to every byte); 1 sets only its own on_close; 2 sets nothing; 3 sets
// both to empty callbacks. Whatever a connection does not set, or sets
// empty, is the server's: an echo, and a count of closes by kind.
TEST(TcpServerHandlers, ConnectionsOwnCallbacksTakePrecedenceAndTheOthersFallBackToTheServers) {
  constexpr std::size_t kKinds = 4;
  constexpr std::size_t kClients = 4 * kKinds;
  std::atomic<std::size_t> accepted{0};
  std::mutex mutex;
  std::map<const TcpConnection*, std::size_t> kind_of;
  std::array<std::size_t, kKinds> server_closes{};
  std::size_t server_closes_unknown = 0;
  std::atomic<std::size_t> own_closes{0};
  std::atomic<std::size_t> own_closes_not_eof{0};

  TcpServer server(server_options(2), [&](TcpConnection& connection) {
    const std::size_t kind = accepted.load() % kKinds;
    {
      std::lock_guard lock(mutex);
      kind_of[&connection] = kind;
    }
    if (kind == 0) {
      connection.on_data([](TcpConnection& c, Buffer& input) {
        std::string bytes(input.size(), '\0');
        input.remove(bytes.data(), bytes.size());
        for (char& byte : bytes) {
          byte = static_cast<char>(byte + 1);
        }
        c.write(bytes);
      });
    } else if (kind == 1) {
      connection.on_close([&](TcpConnection&, const CloseInfo& info) {
        own_closes.fetch_add(1);
        if (info.reason != CloseReason::kEof) {
          own_closes_not_eof.fetch_add(1);
        }
      });
    } else if (kind == 3) {
      connection.on_data(TcpConnection::DataCallback{});
      connection.on_close(TcpConnection::CloseCallback{});
    }
    accepted.fetch_add(1);  // last: the test connects the next client once it sees this
  });
  server.on_data(echo_input);
  server.on_close([&](TcpConnection& c, const CloseInfo&) {
    std::lock_guard lock(mutex);
    const auto found = kind_of.find(&c);
    if (found == kind_of.end()) {
      ++server_closes_unknown;
      return;
    }
    ++server_closes[found->second];
    kind_of.erase(found);
  });
  server.start();

  std::vector<UniqueFd> clients = connect_in_order(server, accepted, kClients);
  ASSERT_EQ(clients.size(), kClients);
  std::vector<std::string> payloads;
  for (std::size_t i = 0; i < kClients; ++i) {
    payloads.push_back(tagged_payload(i, 0, 5000 + 311 * i));
  }
  const std::vector<std::string> replies = send_and_collect(clients, payloads);
  for (std::size_t i = 0; i < kClients; ++i) {
    std::string expected = payloads[i];
    if (i % kKinds == 0) {
      for (char& byte : expected) {
        byte = static_cast<char>(byte + 1);
      }
    }
    ASSERT_EQ(replies[i].size(), expected.size()) << "client " << i << " (kind " << i % kKinds << ")";
    EXPECT_EQ(first_difference(replies[i], expected), std::string::npos)
        << "client " << i << " (kind " << i % kKinds << ") got the wrong on_data's reply";
  }

  clients.clear();
  ASSERT_TRUE(eventually([&] { return server.stats().closed == kClients; }));
  EXPECT_EQ(own_closes.load(), kClients / kKinds) << "a connection's own on_close did not run";
  EXPECT_EQ(own_closes_not_eof.load(), 0U);
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(server_closes[0], kClients / kKinds) << "own on_data only: on_close falls back to the server's";
    EXPECT_EQ(server_closes[1], 0U) << "the server's on_close ran for a connection with its own";
    EXPECT_EQ(server_closes[2], kClients / kKinds);
    EXPECT_EQ(server_closes[3], kClients / kKinds) << "an empty on_close falls back to the server's";
    EXPECT_EQ(server_closes_unknown, 0U);
  }
  within(10s, "TcpServer::stop", [&] { server.stop(); });
}

TEST(TcpServerHandlers, SettingServerCallbacksAfterStartThrowsLogicErrorAndKeepsTheFirst) {
  TcpServer server(server_options(1));
  server.on_data(echo_input);
  server.start();

  try {
    server.on_data([](TcpConnection& c, Buffer& input) {
      input.clear();
      c.write("wrong");
    });
    FAIL() << "on_data after start() did not throw";
  } catch (const std::logic_error& error) {
    EXPECT_NE(std::string(error.what()).find("on_data"), std::string::npos) << error.what();
  }
  EXPECT_THROW(server.on_drained([](TcpConnection&) {}), std::logic_error);
  EXPECT_THROW(server.on_close([](TcpConnection&, const CloseInfo&) {}), std::logic_error);

  std::vector<UniqueFd> clients;
  clients.push_back(connect_client(server.local_address()));
  const std::vector<std::string> replies = send_and_collect(clients, {"ping"});
  EXPECT_EQ(replies[0], "ping") << "the callback given after start() replaced the server's";
  within(10s, "TcpServer::stop", [&] { server.stop(); });
}

// `size` bytes or a little more of text lines a-z, each ending in LF and
// starting with a tag no other client sends.
std::string tagged_lines(std::size_t client, std::size_t round, std::size_t size) {
  const std::string noise = random_bytes(size, static_cast<std::uint32_t>(client * 1000 + round));
  std::string lines;
  for (std::size_t offset = 0; offset < size; offset += 900) {
    lines += "client " + std::to_string(client) + " round " + std::to_string(round) + ": ";
    for (std::size_t i = offset; i < std::min(size, offset + 900); ++i) {
      lines += static_cast<char>('a' + static_cast<unsigned char>(noise[i]) % 26);
    }
    lines += '\n';
  }
  return lines;
}

// A line echo: complete lines go back, a partial line waits in the input.
// 200 connections echo once and go idle (their buffer pairs go back to the
// free lists). 50 more send a partial line and leave, half with FIN, half
// with RST: their pairs go back to the free lists with those bytes still in
// the input. Then the 200 echo again, in reverse order, each with lines of
// its own: a recycled pair must carry no byte over.
TEST(TcpServerHandlers, TwoHundredIdleConnectionsEchoAgainEachWithExactlyItsOwnBytes) {
  constexpr std::size_t kStayers = 200;
  constexpr std::size_t kLeavers = 50;
  TcpServer server(server_options(2));
  server.on_data([](TcpConnection& c, Buffer& input) {
    std::string line;
    while (input.read_line(line)) {
      line += '\n';
      c.write(line);
    }
  });
  server.start();

  std::vector<UniqueFd> clients;
  std::vector<std::string> payloads;
  std::uint64_t total_in = 0;
  for (std::size_t i = 0; i < kStayers; ++i) {
    clients.push_back(connect_client(server.local_address()));
    payloads.push_back(tagged_lines(i, 1, 1 + (i * 773) % 40'000));
    total_in += payloads.back().size();
  }
  std::vector<std::string> echoes = send_and_collect(clients, payloads);
  for (std::size_t i = 0; i < kStayers; ++i) {
    ASSERT_EQ(echoes[i].size(), payloads[i].size()) << "client " << i << ", first echo";
    ASSERT_EQ(first_difference(echoes[i], payloads[i]), std::string::npos) << "client " << i << ", first echo";
  }

  {
    std::vector<UniqueFd> leavers;
    for (std::size_t i = 0; i < kLeavers; ++i) {
      leavers.push_back(connect_client(server.local_address()));
      std::string partial = tagged_lines(kStayers + i, 1, 20'000);
      partial.pop_back();  // no LF: the server keeps it all in the input
      ASSERT_TRUE(eddy::test::send_all(leavers.back().get(), partial));
      total_in += partial.size();
    }
    ASSERT_TRUE(eventually([&] { return server.stats().bytes_in == total_in; }))
        << server.stats().bytes_in << " of " << total_in << " bytes read by the server";
    for (std::size_t i = 0; i < kLeavers; ++i) {
      if (i % 2 == 0) {
        leavers[i].reset();
      } else {
        eddy::test::reset_and_close(leavers[i]);
      }
    }
  }
  ASSERT_TRUE(eventually([&] { return server.stats().closed == kLeavers; }));

  std::vector<UniqueFd> reversed;
  std::vector<std::string> second;
  for (std::size_t i = kStayers; i-- > 0;) {
    reversed.push_back(std::move(clients[i]));
    second.push_back(tagged_lines(i, 2, 1 + (i * 1361) % 30'000));
  }
  echoes = send_and_collect(reversed, second);
  for (std::size_t j = 0; j < kStayers; ++j) {
    const std::size_t i = kStayers - 1 - j;
    ASSERT_EQ(echoes[j].size(), second[j].size()) << "client " << i << ", second echo";
    EXPECT_EQ(first_difference(echoes[j], second[j]), std::string::npos) << "client " << i << ", second echo";
  }
  const eddy::TcpServerStats stats = server.stats();
  EXPECT_EQ(stats.accepted, kStayers + kLeavers);
  EXPECT_EQ(stats.open, kStayers);
  EXPECT_EQ(stats.closed, kLeavers);
  within(10s, "TcpServer::stop", [&] { server.stop(); });
}

// set_counters inside the ConnectionCallback gives that connection its own
// setup: its traffic goes to the given counters (not the server's), its
// callbacks are still the server's, and the server's stats go on counting
// the other connections and every accept and close.
TEST(TcpServerHandlers, SetCountersOnAServerConnectionCountsItThereWhileServerStatsCountTheRest) {
  constexpr std::size_t kMessages = 5;
  eddy::TrafficCounters mine;  // outlives the server: its threads write to it
  std::atomic<std::size_t> accepted{0};
  TcpServer server(server_options(2), [&](TcpConnection& connection) {
    if (accepted.load() == 0) {
      connection.set_counters(&mine);
    }
    accepted.fetch_add(1);
  });
  server.on_data(echo_input);
  server.start();

  std::vector<UniqueFd> clients = connect_in_order(server, accepted, 2);
  ASSERT_EQ(clients.size(), 2U);
  std::array<std::uint64_t, 2> sent{};
  for (std::size_t message = 0; message < kMessages; ++message) {
    const std::vector<std::string> payloads = {tagged_payload(0, message, 300 * message),
                                               tagged_payload(1, message, 500 + 700 * message)};
    const std::vector<std::string> echoes = send_and_collect(clients, payloads);
    for (std::size_t i = 0; i < 2; ++i) {
      ASSERT_EQ(echoes[i], payloads[i]) << "client " << i << ", message " << message;
      sent[i] += payloads[i].size();
    }
  }
  EXPECT_EQ(mine.bytes_in.load(), sent[0]);
  EXPECT_EQ(mine.bytes_out.load(), sent[0]);
  EXPECT_GE(mine.reads.load(), kMessages) << "each message waited for its echo: one read at least";

  clients.clear();
  ASSERT_TRUE(eventually([&] { return server.stats().closed == 2; }));
  const eddy::TcpServerStats stats = server.stats();
  EXPECT_EQ(stats.accepted, 2U);
  EXPECT_EQ(stats.open, 0U);
  EXPECT_EQ(stats.bytes_in, sent[1]) << "the server counts the connection without counters of its own";
  EXPECT_EQ(stats.bytes_out, sent[1]);
  EXPECT_GE(stats.reads, kMessages);
  EXPECT_EQ(mine.bytes_in.load(), sent[0]) << "only the connection that asked counts into `mine`";
  within(10s, "TcpServer::stop", [&] { server.stop(); });
}

}  // namespace
