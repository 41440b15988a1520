// A TcpListener on the uring backend's completion path accepts through the
// ring: in a child process, a seccomp filter makes every accept and
// accept4 system call fail, and peers that connect one at a time must
// still be accepted, each with its own address, a pause must still leave
// a new peer in the backlog until resume(), and close() must still refuse
// new peers (an accept request in flight holds the listening socket open
// until it is cancelled), and out of descriptors a peer must still be
// shed. On the readiness path the first accept4 would fail with EPERM.
#include "net/open_fds.hpp"
#include "support/child_answer.hpp"
#include "support/seccomp.hpp"

#include <eddy/loop.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/tcp_listener.hpp>
#include <eddy/unique_fd.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using eddy::SocketAddress;
using eddy::TcpListener;
using eddy::UniqueFd;

constexpr const char* kNoCompletions = "skip: no io_uring completions here";

// A blocking connect: the kernel completes the handshake from the
// backlog, whether or not anyone accepts.
UniqueFd connect_to(const SocketAddress& to) {
  UniqueFd fd(::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), to.get(), to.size()) != 0) {
    return {};
  }
  return fd;
}

SocketAddress local_of(int fd) { return SocketAddress::local_of(fd).value_or(SocketAddress{}); }

bool run_until(eddy::Loop& loop, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    loop.run_once(10ms);
  }
  return done();
}

// Runs `body` on a uring loop with a listener on `ip`, after accept and
// accept4 have been refused to the process.
struct Accepted {
  std::vector<UniqueFd> sockets;
  std::vector<SocketAddress> peers;
};

std::string with_accept_refused(const char* ip,
                                const std::function<std::string(eddy::Loop&, TcpListener&, Accepted&)>& body) {
  eddy::Loop loop(eddy::LoopOptions{"uring"});
  if (loop.backend_name() != "uring" || std::getenv("EDDY_URING_COMPLETIONS") != nullptr) {
    return kNoCompletions;
  }
  Accepted accepted;
  TcpListener listener(loop, [&](UniqueFd socket, const SocketAddress& peer) {
    accepted.sockets.push_back(std::move(socket));
    accepted.peers.push_back(peer);
  });
  if (std::error_code ec = listener.listen(*SocketAddress::parse(ip, 0))) {
    return "listen: " + ec.message();
  }
  if (!eddy::test::refuse_calls({SYS_accept, SYS_accept4}, EPERM)) {
    return "seccomp filter refused";
  }
  return body(loop, listener, accepted);
}

std::string accept_one_at_a_time(eddy::Loop& loop, TcpListener& listener, Accepted& accepted) {
  std::vector<UniqueFd> clients;
  for (std::size_t i = 0; i < 20; ++i) {
    clients.push_back(connect_to(listener.local_address()));
    if (!clients.back()) {
      return "connect " + std::to_string(i) + " failed: " + std::to_string(errno);
    }
    if (!run_until(loop, [&] { return accepted.sockets.size() == i + 1; })) {
      return "client " + std::to_string(i) + " not accepted";
    }
    const SocketAddress client = local_of(clients.back().get());
    if (accepted.peers.back().to_string() != client.to_string()) {
      return "client " + client.to_string() + " accepted as " + accepted.peers.back().to_string();
    }
    if (local_of(accepted.sockets.back().get()).to_string() != listener.local_address().to_string()) {
      return "accepted socket " + std::to_string(i) + " is not on the listener's address";
    }
  }
  return "ok";
}

TEST(TcpListenerUring, AcceptsIPv4PeersWithEveryAcceptSystemCallRefused) {
  if (!eddy::test::seccomp_supported()) {
    GTEST_SKIP() << "no seccomp audit arch for this CPU in the test";
  }
  const std::string answer = eddy::test::answer_from_child(
      [] { return with_accept_refused("127.0.0.1", accept_one_at_a_time); }, 30s);
  if (answer == kNoCompletions) {
    GTEST_SKIP() << answer;
  }
  EXPECT_EQ(answer, "ok");
}

TEST(TcpListenerUring, AcceptsIPv6PeersWithEveryAcceptSystemCallRefused) {
  if (!eddy::test::seccomp_supported()) {
    GTEST_SKIP() << "no seccomp audit arch for this CPU in the test";
  }
  if (!SocketAddress::parse("::1", 0) || !UniqueFd(::socket(AF_INET6, SOCK_STREAM, 0))) {
    GTEST_SKIP() << "no IPv6 here";
  }
  const std::string answer =
      eddy::test::answer_from_child([] { return with_accept_refused("::1", accept_one_at_a_time); }, 30s);
  if (answer == kNoCompletions) {
    GTEST_SKIP() << answer;
  }
  if (answer.rfind("listen: ", 0) == 0) {
    GTEST_SKIP() << "no ::1 to listen on: " << answer;
  }
  EXPECT_EQ(answer, "ok");
}

TEST(TcpListenerUring, PauseCancelsTheAcceptInFlightAndResumeTakesThePeer) {
  if (!eddy::test::seccomp_supported()) {
    GTEST_SKIP() << "no seccomp audit arch for this CPU in the test";
  }
  const std::string answer = eddy::test::answer_from_child(
      [] {
        return with_accept_refused("127.0.0.1", [](eddy::Loop& loop, TcpListener& listener, Accepted& accepted) {
          loop.run_once(0ms);  // the accept request reaches the kernel
          listener.pause();
          const UniqueFd client = connect_to(listener.local_address());
          const auto until = std::chrono::steady_clock::now() + 100ms;
          while (std::chrono::steady_clock::now() < until) {
            loop.run_once(10ms);
          }
          if (!accepted.sockets.empty()) {
            return std::string("accepted while paused");
          }
          if (loop.active_count() != 0) {
            return std::string("a paused listener keeps the loop busy");
          }
          listener.resume();
          if (!run_until(loop, [&] { return accepted.sockets.size() == 1; })) {
            return std::string("not accepted after resume");
          }
          return accepted.peers[0].to_string() == local_of(client.get()).to_string() ? std::string("ok")
                                                                                    : std::string("wrong peer");
        });
      },
      30s);
  if (answer == kNoCompletions) {
    GTEST_SKIP() << answer;
  }
  EXPECT_EQ(answer, "ok");
}

TEST(TcpListenerUring, CloseWithAnAcceptInFlightRefusesNewPeersAndLeaksNothing) {
  if (!eddy::test::seccomp_supported()) {
    GTEST_SKIP() << "no seccomp audit arch for this CPU in the test";
  }
  const std::string answer = eddy::test::answer_from_child(
      [] {
        const std::size_t fds_before = eddy::test::open_fd_count();
        std::string result;
        SocketAddress local;
        {
          eddy::Loop loop(eddy::LoopOptions{"uring"});
          if (loop.backend_name() != "uring" || std::getenv("EDDY_URING_COMPLETIONS") != nullptr) {
            return std::string(kNoCompletions);
          }
          TcpListener listener(loop, [](UniqueFd, const SocketAddress&) {});
          if (listener.listen(*SocketAddress::parse("127.0.0.1", 0))) {
            return std::string("listen failed");
          }
          local = listener.local_address();
          if (!eddy::test::refuse_calls({SYS_accept, SYS_accept4}, EPERM)) {
            return std::string("seccomp filter refused");
          }
          loop.run_once(0ms);  // the accept request reaches the kernel
          listener.close();
          loop.run_once(10ms);  // its cancellation completes
          if (loop.active_count() != 0) {
            return std::string("a closed listener keeps the loop busy");
          }
          UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
          if (::connect(client.get(), local.get(), local.size()) == 0 || errno != ECONNREFUSED) {
            return std::string("a peer could still connect after close (errno ") + std::to_string(errno) + ")";
          }
        }
        const std::size_t fds_after = eddy::test::open_fd_count();
        return fds_after == fds_before ? std::string("ok")
                                       : std::to_string(fds_before) + " descriptors open before, " +
                                             std::to_string(fds_after) + " after";
      },
      30s);
  if (answer == kNoCompletions) {
    GTEST_SKIP() << answer;
  }
  EXPECT_EQ(answer, "ok");
}

// Sheds through the ring's own descriptor table need accepts that do not
// wait, from Linux 6.10; before, the listener sheds with its spare and
// accept4, which this test refuses.
bool kernel_sheds_without_descriptors() {
  utsname name{};
  int major = 0;
  int minor = 0;
  return ::uname(&name) == 0 && std::sscanf(name.release, "%d.%d", &major, &minor) == 2 &&
         (major > 6 || (major == 6 && minor >= 10));
}

TEST(TcpListenerUring, OutOfDescriptorsShedsAPeerWithoutAnyOfTheProcess) {
  if (!eddy::test::seccomp_supported()) {
    GTEST_SKIP() << "no seccomp audit arch for this CPU in the test";
  }
  if (!kernel_sheds_without_descriptors()) {
    GTEST_SKIP() << "the kernel is older than 6.10";
  }
  const std::string answer = eddy::test::answer_from_child(
      [] {
        return with_accept_refused("127.0.0.1", [](eddy::Loop& loop, TcpListener& listener, Accepted& accepted) {
          const SocketAddress to = listener.local_address();
          UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
          // No descriptor left: the lowest free one is the limit.
          const int next_free = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
          if (next_free < 0) {
            return std::string("no descriptor to begin with");
          }
          ::close(next_free);
          const rlimit none{static_cast<rlim_t>(next_free), static_cast<rlim_t>(next_free)};
          if (::setrlimit(RLIMIT_NOFILE, &none) != 0) {
            return std::string("setrlimit failed");
          }
          if (::connect(client.get(), to.get(), to.size()) != 0) {
            return std::string("connect failed: ") + std::to_string(errno);
          }
          if (!run_until(loop, [&] { return listener.shed_count() == 1; })) {
            return std::string("not shed");
          }
          if (!accepted.sockets.empty()) {
            return std::string("accepted with no descriptor free");
          }
          char byte = 0;
          const timeval wait{5, 0};
          ::setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
          const ssize_t n = ::recv(client.get(), &byte, 1, 0);
          if (n != 0 && !(n < 0 && errno == ECONNRESET)) {
            return std::string("the shed peer saw no close");
          }
          return std::string("ok");
        });
      },
      30s);
  if (answer == kNoCompletions) {
    GTEST_SKIP() << answer;
  }
  EXPECT_EQ(answer, "ok");
}

}  // namespace
