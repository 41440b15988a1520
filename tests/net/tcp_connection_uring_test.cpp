// Connections on the uring backend's completion path really move their
// bytes through the ring: in a child process, a seccomp filter makes every
// read and write system call on the connection's socket fail, and an echo
// inside on_data must still work, small and large, and close cleanly.
// (io_uring's requests are not system calls; seccomp does not see them.)
// On the readiness path the first read() would fail with EPERM.
#include "net/peer_io.hpp"
#include "net/random_bytes.hpp"
#include "net/tcp_pair.hpp"
#include "support/child_answer.hpp"
#include "support/seccomp.hpp"

#include <eddy/buffer.hpp>
#include <eddy/loop.hpp>
#include <eddy/tcp_connection.hpp>

#include <gtest/gtest.h>

#include <sys/syscall.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>

namespace {

using namespace std::chrono_literals;
using eddy::Buffer;
using eddy::TcpConnection;

// The answer the child gives where the test does not apply.
constexpr const char* kNoCompletions = "skip: no io_uring completions here";

std::string echo_through_the_ring_only(std::size_t bytes) {
  eddy::Loop loop(eddy::LoopOptions{"uring"});
  if (loop.backend_name() != "uring" || std::getenv("EDDY_URING_COMPLETIONS") != nullptr) {
    return kNoCompletions;
  }
  auto pair = eddy::test::make_tcp_pair();
  const int fd = pair.ours.get();
  auto connection = TcpConnection::adopt(loop, std::move(pair.ours));
  bool closed = false;
  std::string close_reason;
  connection->on_data([](TcpConnection& c, Buffer& input) { c.write(std::move(input)); });
  connection->on_close([&](TcpConnection&, const eddy::CloseInfo& info) {
    closed = true;
    close_reason = eddy::to_string(info.reason);
  });
  if (!eddy::test::refuse_calls_on_fd({SYS_read, SYS_readv, SYS_recvfrom, SYS_recvmsg, SYS_write, SYS_writev,
                                       SYS_sendto, SYS_sendmsg},
                                      fd, EPERM)) {
    return "seccomp filter refused";
  }
  connection->start();

  const std::string data = eddy::test::random_bytes(bytes, 42);
  std::size_t sent = 0;
  std::string echoed;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (echoed.size() < data.size() && !closed && std::chrono::steady_clock::now() < deadline) {
    sent += eddy::test::send_some(pair.peer.get(), std::string_view(data).substr(sent));
    loop.run_once(10ms);
    eddy::test::read_available(pair.peer.get(), echoed);
  }
  if (closed) {
    return "closed (" + close_reason + ") after " + std::to_string(echoed.size()) + " bytes";
  }
  if (echoed != data) {
    return "echoed " + std::to_string(echoed.size()) + " of " + std::to_string(data.size()) + " bytes" +
           (echoed == data.substr(0, echoed.size()) ? "" : ", not the same");
  }
  eddy::test::shutdown_write(pair.peer.get());
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    loop.run_once(10ms);
  }
  return closed && close_reason == eddy::to_string(eddy::CloseReason::kEof) ? "ok" : "no clean close: " + close_reason;
}

void expect_echo(std::size_t bytes) {
  const std::string answer = eddy::test::answer_from_child([&] { return echo_through_the_ring_only(bytes); }, 30s);
  if (answer == kNoCompletions) {
    GTEST_SKIP() << answer;
  }
  EXPECT_EQ(answer, "ok");
}

TEST(TcpConnectionUring, SmallEchoUsesNoReadOrWriteSystemCall) {
  if (!eddy::test::seccomp_supported()) {
    GTEST_SKIP() << "no seccomp audit arch for this CPU in the test";
  }
  expect_echo(64);
}

TEST(TcpConnectionUring, FourMegabyteEchoUsesNoReadOrWriteSystemCall) {
  if (!eddy::test::seccomp_supported()) {
    GTEST_SKIP() << "no seccomp audit arch for this CPU in the test";
  }
  expect_echo(4 * 1024 * 1024);
}

}  // namespace
