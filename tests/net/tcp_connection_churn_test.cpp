// Connection churn: 10 000 TcpConnections opened through a TcpListener and
// connect(), each ending one of three ways, leave no descriptor and no
// buffer block behind.
#include "net/open_fds.hpp"
#include "net/run_for.hpp"
#include "support/run_until.hpp"

#include <eddy/buffer.hpp>
#include <eddy/loop.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/tcp_connect.hpp>
#include <eddy/tcp_connection.hpp>
#include <eddy/tcp_listener.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::Buffer;
using eddy::CloseInfo;
using eddy::TcpConnection;
using eddy::test::run_for;
using eddy::test::run_until;

// Opens 10 000 connections through a listener and connect(), in batches of
// 500, each exchanging a message and ending one of three ways (client
// close, client abort, server close). Afterwards the process has exactly
// the descriptors it had before and the loop's pool has every block back.
TEST(TcpConnection, TenThousandConnectionsLeaveNoDescriptorOrBlockBehind) {
  constexpr int kBatches = 20;
  constexpr int kBatch = 500;
  eddy::Loop loop;
  std::unordered_map<TcpConnection*, TcpConnection::Ptr> server_side;
  std::size_t server_closes = 0;
  eddy::TcpListener listener(loop, [&](eddy::UniqueFd socket, const eddy::SocketAddress&) {
    auto connection = TcpConnection::adopt(loop, std::move(socket));
    TcpConnection* raw = connection.get();
    connection->on_data([](TcpConnection& c, Buffer& input) {
      const bool quit = input.find("quit") != Buffer::npos;
      c.write(std::move(input));
      if (quit) {
        c.close();
      }
    });
    connection->on_close([&server_side, &server_closes, raw](TcpConnection&, const CloseInfo&) {
      ++server_closes;
      server_side.erase(raw);  // destroys the connection inside its own on_close
    });
    connection->start();
    server_side.emplace(raw, std::move(connection));
  });
  ASSERT_FALSE(listener.listen(*eddy::SocketAddress::parse("127.0.0.1", 0)));
  const eddy::SocketAddress address = listener.local_address();
  // Warm up the pool's bookkeeping, then take the baseline.
  run_for(loop, 1ms);
  const std::size_t fds_before = eddy::test::open_fd_count();
  const std::ptrdiff_t blocks_before = loop.block_pool().allocated_blocks();

  std::size_t failures = 0;
  std::size_t wrong_echoes = 0;
  for (int batch = 0; batch < kBatches; ++batch) {
    std::vector<TcpConnection::Ptr> clients(kBatch);
    int finished = 0;
    for (int i = 0; i < kBatch; ++i) {
      eddy::connect(loop, address, 5s, [&, i](std::error_code ec, TcpConnection::Ptr c) {
        if (ec) {
          ++failures;
          ++finished;
          return;
        }
        const int mode = i % 3;  // 0: client close, 1: client abort, 2: server close
        c->on_data([&wrong_echoes, mode](TcpConnection& self, Buffer& input) {
          const std::string expected = mode == 2 ? "quit" : "ping";
          if (input.size() < expected.size()) {
            return;
          }
          if (input.size() != expected.size() || input.find(expected) != 0) {
            ++wrong_echoes;
          }
          input.clear();
          if (mode == 0) {
            self.close();
          } else if (mode == 1) {
            self.abort();
          }
        });
        c->on_close([&clients, &finished, i](TcpConnection&, const CloseInfo&) {
          ++finished;
          clients[static_cast<std::size_t>(i)].reset();
        });
        c->start();
        c->write(mode == 2 ? "quit" : "ping");
        clients[static_cast<std::size_t>(i)] = std::move(c);
      });
    }
    ASSERT_TRUE(run_until(loop, [&] { return finished == kBatch && server_side.empty(); }, 30s))
        << "batch " << batch << ": " << finished << " clients finished, " << server_side.size()
        << " server connections open";
  }
  run_for(loop, 10ms);
  EXPECT_EQ(failures, 0U);
  EXPECT_EQ(wrong_echoes, 0U);
  EXPECT_EQ(server_closes, static_cast<std::size_t>(kBatches * kBatch));
  EXPECT_EQ(eddy::test::open_fd_count(), fds_before);
  EXPECT_EQ(loop.block_pool().allocated_blocks(), blocks_before);
}

}  // namespace
