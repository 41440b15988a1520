// A UdpSocket on the uring backend's completion path receives through the
// ring: in a child process, a seccomp filter makes every receiving system
// call on its socket fail, and datagrams sent one at a time and in a burst
// must still arrive whole, in order, with their sender's address, a long
// one truncated to max_datagram and said to be, and replies sent with
// send_to must reach the sender. On the readiness path the first recvfrom
// would fail with EPERM.
#include "support/child_answer.hpp"
#include "support/seccomp.hpp"

#include <eddy/loop.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/udp_socket.hpp>
#include <eddy/unique_fd.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/syscall.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::SocketAddress;
using eddy::UdpSocket;
using eddy::UniqueFd;

constexpr const char* kNoCompletions = "skip: no io_uring completions here";
constexpr std::size_t kMaxDatagram = 1000;

struct Received {
  std::string data;
  std::string peer;
  bool truncated;
};

bool run_until(eddy::Loop& loop, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    loop.run_once(10ms);
  }
  return done();
}

std::string datagram(std::size_t i, std::size_t size) {
  std::string d(size, '\0');
  for (std::size_t k = 0; k < size; ++k) {
    d[k] = static_cast<char>('a' + (i + k) % 26);
  }
  return d;
}

std::string receive_through_the_ring_only() {
  eddy::Loop loop(eddy::LoopOptions{"uring"});
  if (loop.backend_name() != "uring" || std::getenv("EDDY_URING_COMPLETIONS") != nullptr) {
    return kNoCompletions;
  }
  std::vector<Received> received;
  UdpSocket socket(
      loop,
      [&](UdpSocket& self, const UdpSocket::Datagram& d) {
        received.push_back(Received{std::string(d.data.data(), d.data.size()), d.peer.to_string(), d.truncated});
        (void)self.send_to(std::span<const char>("ack", 3), d.peer);
      },
      kMaxDatagram);
  if (std::error_code ec = socket.bind(*SocketAddress::parse("127.0.0.1", 0))) {
    return "bind: " + ec.message();
  }
  const SocketAddress to = socket.local_address();
  const UniqueFd sender(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const SocketAddress from_any = *SocketAddress::parse("127.0.0.1", 0);
  if (!sender || ::bind(sender.get(), from_any.get(), from_any.size()) != 0) {
    return "sender socket failed";
  }
  const std::string sender_address = SocketAddress::local_of(sender.get())->to_string();
  if (!eddy::test::refuse_calls_on_fd({SYS_read, SYS_readv, SYS_recvfrom, SYS_recvmsg, SYS_recvmmsg}, socket.fd(),
                                      EPERM)) {
    return "seccomp filter refused";
  }
  auto send = [&](const std::string& d) {
    return ::sendto(sender.get(), d.data(), d.size(), 0, to.get(), to.size()) == static_cast<ssize_t>(d.size());
  };
  std::vector<std::string> sent;
  for (std::size_t i = 0; i < 20; ++i) {  // one at a time
    sent.push_back(datagram(i, 1 + i * 37));
    if (!send(sent.back())) {
      return "sendto failed";
    }
    if (!run_until(loop, [&] { return received.size() == sent.size(); })) {
      return "datagram " + std::to_string(i) + " not received";
    }
  }
  for (std::size_t i = 20; i < 60; ++i) {  // a burst
    sent.push_back(datagram(i, 100 + i));
    if (!send(sent.back())) {
      return "sendto failed";
    }
  }
  if (!run_until(loop, [&] { return received.size() == sent.size(); })) {
    return "received " + std::to_string(received.size()) + " of " + std::to_string(sent.size()) + " datagrams";
  }
  const std::string long_one = datagram(99, 3000);
  if (!send(long_one) || !run_until(loop, [&] { return received.size() == sent.size() + 1; })) {
    return "the long datagram was not received";
  }
  for (std::size_t i = 0; i < sent.size(); ++i) {
    if (received[i].data != sent[i] || received[i].truncated) {
      return "datagram " + std::to_string(i) + " arrived as " + std::to_string(received[i].data.size()) +
             " bytes, not the " + std::to_string(sent[i].size()) + " sent";
    }
    if (received[i].peer != sender_address) {
      return "datagram " + std::to_string(i) + " from " + received[i].peer + ", not " + sender_address;
    }
  }
  const Received& last = received.back();
  if (!last.truncated || last.data != long_one.substr(0, kMaxDatagram)) {
    return "the long datagram arrived as " + std::to_string(last.data.size()) + " bytes, truncated " +
           (last.truncated ? "yes" : "no");
  }
  std::size_t acks = 0;
  char ack[8];
  while (::recv(sender.get(), ack, sizeof ack, MSG_DONTWAIT) == 3) {
    ++acks;
  }
  if (acks != received.size()) {
    return std::to_string(acks) + " replies of " + std::to_string(received.size());
  }
  socket.close();
  loop.run_once(10ms);
  return loop.active_count() == 0 ? "ok" : "a closed socket keeps the loop busy";
}

TEST(UdpSocketUring, ReceivesWithEveryReceivingSystemCallRefused) {
  if (!eddy::test::seccomp_supported()) {
    GTEST_SKIP() << "no seccomp audit arch for this CPU in the test";
  }
  const std::string answer = eddy::test::answer_from_child(receive_through_the_ring_only, 30s);
  if (answer == kNoCompletions) {
    GTEST_SKIP() << answer;
  }
  EXPECT_EQ(answer, "ok");
}

}  // namespace
