#pragma once

// Helpers for the TcpServer tests: options, echo handlers, plain client
// sockets driven from the test thread, and calls bounded by a deadline (the
// server runs on its own threads, so the test waits with these instead of
// run_until).
#include "net/peer_io.hpp"
#include "support/run_until.hpp"

#include <eddy/buffer.hpp>
#include <eddy/clock.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/tcp_connection.hpp>
#include <eddy/tcp_server.hpp>
#include <eddy/unique_fd.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace eddy::test {

inline SocketAddress loopback(std::uint16_t port = 0) { return *SocketAddress::parse("127.0.0.1", port); }

// TcpServerOptions has members without default initializers, which
// designated initializers would leave to -Wmissing-field-initializers.
inline TcpServerOptions server_options(std::size_t threads, std::size_t max_connections = 0) {
  TcpServerOptions options;
  options.address = loopback();
  options.threads = threads;
  options.max_connections = max_connections;
  return options;
}

inline void echo(TcpConnection& connection) {
  connection.on_data([](TcpConnection& c, Buffer& input) { c.write(std::move(input)); });
}

// An echo whose socket buffers are small, so that output a client does not
// read waits in the server's queue rather than in the kernel.
inline constexpr int kSmallBuffers = 16 * 1024;
inline void echo_with_small_send_buffer(TcpConnection& connection) {
  ::setsockopt(connection.fd(), SOL_SOCKET, SO_SNDBUF, &kSmallBuffers, sizeof kSmallBuffers);
  echo(connection);
}

// Runs `call` on another thread and waits at most `deadline` for it: a call
// that would block for ever aborts the test binary with a message (ctest
// reports a failure) instead of hanging it.
template <typename Call>
void within(Duration deadline, const char* what, Call&& call) {
  std::packaged_task<void()> task(std::forward<Call>(call));
  auto done = task.get_future();
  std::thread thread(std::move(task));
  if (done.wait_for(deadline) != std::future_status::ready) {
    std::fprintf(stderr, "%s did not return within %lld ms; aborting\n", what,
                 static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline).count()));
    std::abort();
  }
  thread.join();
  done.get();
}

// Polls `predicate` (on the test thread, no loop) until it holds or the
// deadline passes: for server state that other threads update.
template <typename Predicate>
testing::AssertionResult eventually(Predicate&& predicate, Duration deadline = kDeadline) {
  const auto give_up = Clock::now() + deadline;
  while (!predicate()) {
    if (Clock::now() >= give_up) {
      return testing::AssertionFailure() << "condition not met within the deadline";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return testing::AssertionSuccess();
}

// A plain client socket, connected (over loopback the handshake completes
// inside connect()) and then made non-blocking. A positive `receive_buffer`
// sets SO_RCVBUF before the handshake, so that the window stays small.
inline UniqueFd connect_client(const SocketAddress& server, int receive_buffer = 0) {
  UniqueFd fd(::socket(server.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd && receive_buffer > 0) {
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  if (!fd || ::connect(fd.get(), server.get(), server.size()) != 0) {
    throw std::system_error(errno, std::generic_category(), "connect " + server.to_string());
  }
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
  return fd;
}

// Sends all of `data` without reading anything, waiting for room with a
// deadline. False if the socket stopped taking bytes for the whole wait.
inline bool send_all(int fd, const std::string& data, Duration deadline = kDeadline) {
  std::size_t sent = 0;
  const auto give_up = Clock::now() + deadline;
  while (sent < data.size() && Clock::now() < give_up) {
    const std::size_t n = send_some(fd, std::string_view(data).substr(sent));
    sent += n;
    if (n == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return sent == data.size();
}

// How a client's connection ended, and what it received.
struct Ending {
  PeerState state = PeerState::kOpen;
  std::string received;
};

// Reads from all `clients` at once (none waits for another) until each has
// seen EOF or a reset, or the deadline passes.
inline std::vector<Ending> read_all_until_closed(const std::vector<UniqueFd>& clients, Duration deadline) {
  std::vector<Ending> endings(clients.size());
  const auto give_up = Clock::now() + deadline;
  std::size_t open = clients.size();
  while (open > 0 && Clock::now() < give_up) {
    open = 0;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (endings[i].state == PeerState::kOpen) {
        endings[i].state = read_available(clients[i].get(), endings[i].received);
        open += endings[i].state == PeerState::kOpen ? 1U : 0U;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return endings;
}

}  // namespace eddy::test
