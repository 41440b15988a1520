// Socket bufferevents on the uring backend read and write by completion
// (compat/src/socket_requests.hpp). The first tests prove it: in a child
// process a seccomp filter makes every read and write system call on the
// bufferevent's socket fail, and an echo must still work, small and large,
// and see the peer's EOF (io_uring's requests are not system calls). The
// others hold on every backend: what arrives while reading is disabled
// waits for bufferevent_enable, a bufferevent freed with a receive in
// flight and data held closes its socket at once, what a callback wrote
// is in the kernel when event_base_loop returns, a flood never takes the
// input past the high watermark, and a peer that stalls or resets while a
// send waits for room gets the write timeout or the error.
#include "support/child_answer.hpp"
#include "support/seccomp.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kNoCompletions = "skip: no io_uring completions here";

// A connected TCP pair on 127.0.0.1, both ends non-blocking.
std::pair<int, int> tcp_pair() {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener, 1) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return {-1, -1};
  }
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (client < 0 || ::connect(client, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    ::close(listener);
    return {-1, -1};
  }
  const int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  ::close(listener);
  ::fcntl(client, F_SETFL, ::fcntl(client, F_GETFL) | O_NONBLOCK);
  return {server, client};
}

std::size_t send_some(int fd, std::string_view data) {
  const ssize_t n = data.empty() ? 0 : ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

void read_available(int fd, std::string& into) {
  char chunk[65536];
  for (ssize_t n; (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0;) {
    into.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  }
  return s;
}

struct Echo {
  bool eof = false;
  short what = 0;
};

void echo_read(bufferevent* bev, void*) { evbuffer_add_buffer(bufferevent_get_output(bev), bufferevent_get_input(bev)); }

void note_event(bufferevent*, short what, void* arg) {
  auto& echo = *static_cast<Echo*>(arg);
  echo.what = what;
  echo.eof = (what & BEV_EVENT_EOF) != 0;
}

std::string echo_with_io_calls_refused(std::size_t bytes) {
  ::setenv("EDDY_BACKEND", "uring", 1);
  event_base* base = event_base_new();
  if (base == nullptr || std::string_view(event_base_get_method(base)) != "io_uring" ||
      std::getenv("EDDY_URING_COMPLETIONS") != nullptr) {
    return kNoCompletions;
  }
  const auto [ours, peer] = tcp_pair();
  if (ours < 0) {
    return "no TCP pair";
  }
  if (!eddy::test::refuse_calls_on_fd({SYS_read, SYS_readv, SYS_recvfrom, SYS_recvmsg, SYS_write, SYS_writev,
                                       SYS_sendto, SYS_sendmsg},
                                      ours, EPERM)) {
    return "seccomp filter refused";
  }
  bufferevent* bev = bufferevent_socket_new(base, ours, BEV_OPT_CLOSE_ON_FREE);
  Echo echo;
  bufferevent_setcb(bev, echo_read, nullptr, note_event, &echo);
  bufferevent_enable(bev, EV_READ | EV_WRITE);

  const std::string data = pattern(bytes);
  std::size_t sent = 0;
  std::string echoed;
  const auto deadline = Clock::now() + 10s;
  while (echoed.size() < data.size() && echo.what == 0 && Clock::now() < deadline) {
    sent += send_some(peer, std::string_view(data).substr(sent));
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    read_available(peer, echoed);
  }
  if (echo.what != 0) {
    return "event " + std::to_string(echo.what) + " after " + std::to_string(echoed.size()) + " bytes";
  }
  if (echoed != data) {
    return "echoed " + std::to_string(echoed.size()) + " of " + std::to_string(data.size()) + " bytes";
  }
  ::shutdown(peer, SHUT_WR);
  while (echo.what == 0 && Clock::now() < deadline) {
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  }
  bufferevent_free(bev);
  event_base_free(base);
  ::close(peer);
  return echo.eof ? "ok" : "no EOF, event " + std::to_string(echo.what);
}

void expect_echo(std::size_t bytes) {
  if (const char* backend = std::getenv("EDDY_BACKEND"); backend != nullptr && std::string_view(backend) != "uring") {
    GTEST_SKIP() << "a test of the uring backend (its .uring entry)";
  }
  if (!eddy::test::seccomp_supported()) {
    GTEST_SKIP() << "no seccomp audit arch for this CPU in the test";
  }
  const std::string answer = eddy::test::answer_from_child([&] { return echo_with_io_calls_refused(bytes); }, 30s);
  if (answer == kNoCompletions) {
    GTEST_SKIP() << answer;
  }
  EXPECT_EQ(answer, "ok");
}

TEST(CompatBufferEventRequests, SmallEchoOnUringUsesNoReadOrWriteSystemCall) { expect_echo(64); }

TEST(CompatBufferEventRequests, FourMegabyteEchoOnUringUsesNoReadOrWriteSystemCall) { expect_echo(4 * 1024 * 1024); }

struct Reads {
  int calls = 0;
  std::string data;
};

void collect_read(bufferevent* bev, void* arg) {
  auto& reads = *static_cast<Reads*>(arg);
  ++reads.calls;
  evbuffer* input = bufferevent_get_input(bev);
  const std::size_t n = evbuffer_get_length(input);
  reads.data.append(reinterpret_cast<const char*>(evbuffer_pullup(input, -1)), n);
  evbuffer_drain(input, n);
}

void run_for(event_base* base, std::chrono::milliseconds how_long) {
  const auto end = Clock::now() + how_long;
  while (Clock::now() < end) {
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    ::usleep(1000);
  }
}

// A socket bufferevent that read for a while and then stopped: on uring
// its receive was in the ring when reading was disabled.
bufferevent* read_then_stop(event_base* base, int fd, Reads& reads) {
  bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev, collect_read, nullptr, nullptr, &reads);
  bufferevent_enable(bev, EV_READ);
  run_for(base, 20ms);  // the receive is in the ring by now
  bufferevent_disable(bev, EV_READ);
  return bev;
}

TEST(CompatBufferEventRequests, DataThatArrivesWhileReadingIsDisabledWaitsForEnable) {
  event_base* base = event_base_new();
  ASSERT_NE(base, nullptr);
  const auto [ours, peer] = tcp_pair();
  ASSERT_GE(ours, 0);
  Reads reads;
  bufferevent* bev = read_then_stop(base, ours, reads);
  ASSERT_EQ(send_some(peer, "while disabled"), 14U);
  run_for(base, 50ms);
  EXPECT_EQ(reads.calls, 0) << event_base_get_method(base);
  bufferevent_enable(bev, EV_READ);
  const auto deadline = Clock::now() + 5s;
  while (reads.data.size() < 14 && Clock::now() < deadline) {
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  }
  EXPECT_EQ(reads.data, "while disabled") << event_base_get_method(base);
  bufferevent_free(bev);
  event_base_free(base);
  ::close(peer);
}

TEST(CompatBufferEventRequests, FreedWithDataHeldClosesTheSocketAtOnce) {
  event_base* base = event_base_new();
  ASSERT_NE(base, nullptr);
  const auto [ours, peer] = tcp_pair();
  ASSERT_GE(ours, 0);
  Reads reads;
  bufferevent* bev = read_then_stop(base, ours, reads);
  ASSERT_EQ(send_some(peer, "held"), 4U);
  run_for(base, 20ms);  // on uring the receive has brought it by now
  bufferevent_enable(bev, EV_READ);  // a receive in flight again, or the held bytes waiting for the callback
  bufferevent_free(bev);
  // No loop iteration after the free: the peer must see the close anyway
  // (a receive in the ring would hold the socket open).
  pollfd p{peer, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1);
  // A FIN on uring, where the bytes were received; a reset on readiness,
  // where they were still unread in the socket.
  char byte = 0;
  const ssize_t got = ::recv(peer, &byte, 1, 0);
  EXPECT_TRUE(got == 0 || (got < 0 && errno == ECONNRESET)) << got << " " << event_base_get_method(base);
  EXPECT_EQ(reads.calls, 0);
  event_base_free(base);
  ::close(peer);
}

void write_reply(bufferevent* bev, void* arg) {
  evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
  bufferevent_write(bev, "reply", 5);
  *static_cast<bool*>(arg) = true;
}

TEST(CompatBufferEventRequests, WhatACallbackWroteIsInTheKernelWhenTheLoopReturns) {
  event_base* base = event_base_new();
  ASSERT_NE(base, nullptr);
  const auto [ours, peer] = tcp_pair();
  ASSERT_GE(ours, 0);
  bufferevent* bev = bufferevent_socket_new(base, ours, BEV_OPT_CLOSE_ON_FREE);
  bool replied = false;
  bufferevent_setcb(bev, write_reply, nullptr, nullptr, &replied);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
  ASSERT_EQ(send_some(peer, "ask"), 3U);
  const auto deadline = Clock::now() + 5s;
  while (!replied && Clock::now() < deadline) {
    event_base_loop(base, EVLOOP_ONCE);
  }
  ASSERT_TRUE(replied);
  // Out of the loop, and not entering it again: the reply must reach the
  // peer all the same, as a write(2) inside the callback would have sent it.
  pollfd p{peer, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 2000), 1) << event_base_get_method(base);
  std::string got;
  read_available(peer, got);
  EXPECT_EQ(got, "reply");
  bufferevent_free(bev);
  event_base_free(base);
  ::close(peer);
}

struct Flood {
  std::size_t received = 0;
  std::size_t most_seen = 0;
};

void drain_some(bufferevent* bev, void* arg) {
  auto& flood = *static_cast<Flood*>(arg);
  evbuffer* input = bufferevent_get_input(bev);
  flood.most_seen = std::max(flood.most_seen, evbuffer_get_length(input));
  const std::size_t n = std::min<std::size_t>(evbuffer_get_length(input), 1000);  // slower than the peer
  evbuffer_drain(input, n);
  flood.received += n;
}

TEST(CompatBufferEventRequests, AFloodNeverTakesTheInputPastTheHighWatermark) {
  event_base* base = event_base_new();
  ASSERT_NE(base, nullptr);
  const auto [ours, peer] = tcp_pair();
  ASSERT_GE(ours, 0);
  bufferevent* bev = bufferevent_socket_new(base, ours, BEV_OPT_CLOSE_ON_FREE);
  Flood flood;
  bufferevent_setcb(bev, drain_some, nullptr, nullptr, &flood);
  constexpr std::size_t kHigh = 8192;
  bufferevent_setwatermark(bev, EV_READ, 0, kHigh);
  bufferevent_enable(bev, EV_READ);
  const std::string data = pattern(2 * 1024 * 1024);
  std::size_t sent = 0;
  const auto deadline = Clock::now() + 20s;
  // The callback leaves up to 1000 bytes behind each time, and is called
  // again only when more comes: the last of them stay in the input.
  evbuffer* input = bufferevent_get_input(bev);
  while (flood.received + evbuffer_get_length(input) < data.size() && Clock::now() < deadline) {
    sent += send_some(peer, std::string_view(data).substr(sent));
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  }
  EXPECT_EQ(flood.received + evbuffer_get_length(input), data.size()) << event_base_get_method(base);
  EXPECT_LE(flood.most_seen, kHigh) << event_base_get_method(base);
  bufferevent_free(bev);
  event_base_free(base);
  ::close(peer);
}

struct Stall {
  short what = 0;
  int error = 0;
};

void note_what(bufferevent*, short what, void* arg) {
  auto& stall = *static_cast<Stall*>(arg);
  stall.what = what;
  stall.error = EVUTIL_SOCKET_ERROR();
}

// A peer that reads nothing: the socket's buffers fill, and a send waits
// for room (on uring, in the ring).
std::pair<bufferevent*, int> stalled_writer(event_base* base, Stall& stall, const timeval* write_timeout) {
  const auto [ours, peer] = tcp_pair();
  if (ours < 0) {
    return {nullptr, -1};
  }
  const int small = 4096;
  ::setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  bufferevent* bev = bufferevent_socket_new(base, ours, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev, nullptr, nullptr, note_what, &stall);
  bufferevent_set_timeouts(bev, nullptr, write_timeout);
  bufferevent_enable(bev, EV_WRITE);
  const std::string data = pattern(8 * 1024 * 1024);
  bufferevent_write(bev, data.data(), data.size());
  return {bev, peer};
}

TEST(CompatBufferEventRequests, AStalledPeerGetsTheWriteTimeout) {
  event_base* base = event_base_new();
  ASSERT_NE(base, nullptr);
  Stall stall;
  const timeval timeout{0, 200000};
  auto [bev, peer] = stalled_writer(base, stall, &timeout);
  ASSERT_NE(bev, nullptr);
  const auto deadline = Clock::now() + 10s;
  while (stall.what == 0 && Clock::now() < deadline) {
    event_base_loop(base, EVLOOP_ONCE);
  }
  EXPECT_EQ(stall.what, BEV_EVENT_WRITING | BEV_EVENT_TIMEOUT) << event_base_get_method(base);
  EXPECT_GT(evbuffer_get_length(bufferevent_get_output(bev)), 0U);
  bufferevent_free(bev);  // with a send still waiting for room: cancelled, the copy kept until the kernel lets go
  event_base_free(base);
  ::close(peer);
}

TEST(CompatBufferEventRequests, APeerThatResetsWhileASendWaitsGivesAnError) {
  event_base* base = event_base_new();
  ASSERT_NE(base, nullptr);
  Stall stall;
  auto [bev, peer] = stalled_writer(base, stall, nullptr);
  ASSERT_NE(bev, nullptr);
  run_for(base, 50ms);  // the buffers are full and a send waits
  const linger reset{1, 0};
  ::setsockopt(peer, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(peer);
  const auto deadline = Clock::now() + 10s;
  while (stall.what == 0 && Clock::now() < deadline) {
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  }
  EXPECT_NE(stall.what & BEV_EVENT_ERROR, 0) << stall.what << " " << event_base_get_method(base);
  EXPECT_TRUE(stall.error == ECONNRESET || stall.error == EPIPE) << stall.error << " " << event_base_get_method(base);
  bufferevent_free(bev);
  event_base_free(base);
}

struct FreedInCallback {
  bool freed = false;
  int fd = -1;
};

void free_in_write_callback(bufferevent* bev, void* arg) {
  auto& freed = *static_cast<FreedInCallback*>(arg);
  freed.fd = bufferevent_getfd(bev);
  bufferevent_free(bev);
  freed.freed = true;
}

TEST(CompatBufferEventRequests, FreedInItsWriteCallbackWithASendWaitingForRoom) {
  event_base* base = event_base_new();
  ASSERT_NE(base, nullptr);
  Stall stall;
  auto [bev, peer] = stalled_writer(base, stall, nullptr);
  ASSERT_NE(bev, nullptr);
  // Called back once the output falls to 7 MiB: a send is in the ring then
  // (on uring), waiting for room the peer never makes, and the free must
  // leave its memory to the loop until the kernel lets go of it (ASan
  // checks the rest).
  FreedInCallback freed;
  bufferevent_setwatermark(bev, EV_WRITE, 7 * 1024 * 1024, 0);
  bufferevent_setcb(bev, nullptr, free_in_write_callback, note_what, &freed);
  const auto deadline = Clock::now() + 10s;
  while (!freed.freed && Clock::now() < deadline) {
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    std::string sink;
    read_available(peer, sink);  // a little room now and then, so the output falls
  }
  ASSERT_TRUE(freed.freed) << event_base_get_method(base);
  run_for(base, 20ms);  // the cancelled send's last event, and its copy freed
  EXPECT_EQ(::fcntl(freed.fd, F_GETFD), -1) << "the socket is still open";
  EXPECT_EQ(stall.what, 0);
  event_base_free(base);
  ::close(peer);
}

void free_when_drained(evbuffer*, const evbuffer_cb_info* info, void* arg) {
  auto** bev = static_cast<bufferevent**>(arg);
  if (info->n_deleted != 0 && *bev != nullptr) {
    bufferevent_free(*bev);
    *bev = nullptr;
  }
}

TEST(CompatBufferEventRequests, FreedByItsOutputCallbackWhenASendCompletes) {
  event_base* base = event_base_new();
  ASSERT_NE(base, nullptr);
  const auto [ours, peer] = tcp_pair();
  ASSERT_GE(ours, 0);
  bufferevent* bev = bufferevent_socket_new(base, ours, BEV_OPT_CLOSE_ON_FREE);
  // The program's own callback on the output frees the bufferevent as soon
  // as a write takes bytes out (on uring: inside the send's completion).
  ASSERT_NE(evbuffer_add_cb(bufferevent_get_output(bev), free_when_drained, &bev), nullptr);
  bufferevent_enable(bev, EV_WRITE);
  bufferevent_write(bev, "bye", 3);
  const auto deadline = Clock::now() + 5s;
  while (bev != nullptr && Clock::now() < deadline) {
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  }
  EXPECT_EQ(bev, nullptr) << event_base_get_method(base);
  run_for(base, 20ms);
  std::string got;
  read_available(peer, got);
  EXPECT_EQ(got, "bye");
  event_base_free(base);
  ::close(peer);
}

}  // namespace
