// eddy-bench-epoll-echo: the tightest single-threaded TCP echo server we can
// write by hand on epoll, used as the user-space limit that eddy-echo is
// measured against (bench/echo/run.sh). No library, no abstraction: one
// epoll_wait loop, one read and one write per readiness.
//
// What it does, and why:
// - The listener is level-triggered; each readiness accepts with accept4()
//   until EAGAIN, so a burst of connections costs one wakeup.
// - A connection is registered once for EPOLLIN and never touched again in
//   the common case: readable -> read() into one static 64 KiB buffer ->
//   write() it straight back. No epoll_ctl in steady state.
// - Partial write: the unsent tail goes to a heap buffer owned by that fd,
//   and the fd is switched (EPOLL_CTL_MOD) to EPOLLOUT only, which also stops
//   reading from that peer until the tail is flushed: the server never holds
//   more than one read's worth of bytes per connection.
// - An idle connection owns no user-space memory beyond one pointer in a
//   table indexed by fd.
// - TCP_NODELAY on accepted sockets, as eddy's TcpConnection does by default,
//   so that both servers send small echoes the same way.
// - SIGPIPE is ignored (a write to a reset peer returns EPIPE instead);
//   SIGINT and SIGTERM arrive through a signalfd and end the loop: exit 0.
// - EMFILE/ENFILE on accept: the listener stays readable and the loop spins
//   until an fd frees. A production server sheds the peer (eddy does); this
//   one is only ever driven below its fd limit.
//
// Usage: eddy-bench-epoll-echo --port N [--bind ADDR]   (ADDR: 127.0.0.1)
// Exit codes: 0 after SIGINT/SIGTERM, 1 when it cannot run, 2 for bad usage.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr std::size_t kReadSize = 64 * 1024;
constexpr int kMaxEvents = 256;

// Bytes read but not yet written back, for one fd: a header and the bytes in
// one malloc() block. The table holds a null pointer for every connection that
// is not blocked on a full socket send buffer, so an idle connection costs one
// pointer of user-space memory.
//
//   Tail header | data(): already sent | pending            |
//                         0          offset              size
struct Tail {
  std::size_t offset;
  std::size_t size;
  char* data() { return reinterpret_cast<char*>(this + 1); }
};

char g_read_buffer[kReadSize];
std::vector<Tail*> g_tails;  // indexed by fd

int usage(const char* message) {
  std::fprintf(stderr, "eddy-bench-epoll-echo: %s\nusage: eddy-bench-epoll-echo --port N [--bind ADDR]\n", message);
  return 2;
}

void fail(const char* operation) {
  std::fprintf(stderr, "eddy-bench-epoll-echo: %s: %s\n", operation, std::strerror(errno));
  std::exit(1);
}

void close_connection(int fd) {
  Tail*& tail = g_tails[static_cast<std::size_t>(fd)];
  std::free(tail);
  tail = nullptr;
  close(fd);  // also removes fd from the epoll set (no dup()s exist)
}

void set_events(int epfd, int fd, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) != 0) {
    fail("epoll_ctl(MOD)");
  }
}

// Writes `size` bytes from `data` to fd, retrying on EINTR. Returns the number
// written (0 when the socket buffer is full), or -1 when the connection is
// dead.
ssize_t write_some(int fd, const char* data, std::size_t size) {
  for (;;) {
    ssize_t n = write(fd, data, size);
    if (n >= 0) {
      return n;
    }
    if (errno == EINTR) {
      continue;
    }
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
  }
}

void on_readable(int epfd, int fd) {
  ssize_t n;
  do {
    n = read(fd, g_read_buffer, kReadSize);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return;
  }
  if (n <= 0) {  // EOF, reset or another error
    close_connection(fd);
    return;
  }
  const auto size = static_cast<std::size_t>(n);
  ssize_t written = write_some(fd, g_read_buffer, size);
  if (written < 0) {
    close_connection(fd);
    return;
  }
  const auto sent = static_cast<std::size_t>(written);
  if (sent == size) {
    return;
  }
  auto* tail = static_cast<Tail*>(std::malloc(sizeof(Tail) + size - sent));
  if (tail == nullptr) {
    fail("malloc");
  }
  tail->offset = 0;
  tail->size = size - sent;
  std::memcpy(tail->data(), g_read_buffer + sent, tail->size);
  g_tails[static_cast<std::size_t>(fd)] = tail;
  set_events(epfd, fd, EPOLLOUT);
}

void on_writable(int epfd, int fd) {
  Tail*& tail = g_tails[static_cast<std::size_t>(fd)];
  ssize_t written = write_some(fd, tail->data() + tail->offset, tail->size - tail->offset);
  if (written < 0) {
    close_connection(fd);
    return;
  }
  tail->offset += static_cast<std::size_t>(written);
  if (tail->offset < tail->size) {
    return;
  }
  std::free(tail);
  tail = nullptr;
  set_events(epfd, fd, EPOLLIN);
}

void accept_all(int epfd, int listener) {
  for (;;) {
    int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      return;  // EAGAIN: all accepted; EMFILE and the like: see the top
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (static_cast<std::size_t>(fd) >= g_tails.size()) {
      g_tails.resize(static_cast<std::size_t>(fd) * 2 + 1, nullptr);
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      fail("epoll_ctl(ADD)");
    }
  }
}

int listen_on(const char* bind_address, int port) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, bind_address, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof *v4;
  } else if (inet_pton(AF_INET6, bind_address, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof *v6;
  } else {
    std::exit(usage("--bind needs a numeric IPv4 or IPv6 address"));
  }
  int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail("socket");
  }
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    fail("setsockopt(SO_REUSEADDR)");
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    std::fprintf(stderr, "eddy-bench-epoll-echo: cannot listen on %s port %d: %s\n", bind_address, port,
                 std::strerror(errno));
    std::exit(1);
  }
  if (listen(fd, SOMAXCONN) != 0) {
    fail("listen");
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  int port = -1;
  const char* bind_address = "127.0.0.1";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char* end = nullptr;
      long value = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || value < 1 || value > 65535) {
        return usage("--port needs a number from 1 to 65535");
      }
      port = static_cast<int>(value);
    } else if (std::strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
      bind_address = argv[++i];
    } else {
      return usage("unknown or incomplete argument");
    }
  }
  if (port < 0) {
    return usage("--port is required");
  }

  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
    fail("sigprocmask");
  }
  int sigfd = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sigfd < 0) {
    fail("signalfd");
  }

  int listener = listen_on(bind_address, port);
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    fail("epoll_create1");
  }
  for (int fd : {listener, sigfd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      fail("epoll_ctl(ADD)");
    }
  }
  g_tails.resize(1024, nullptr);

  epoll_event events[kMaxEvents];
  for (;;) {
    int count = epoll_wait(epfd, events, kMaxEvents, -1);
    if (count < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail("epoll_wait");
    }
    for (int i = 0; i < count; ++i) {
      const int fd = events[i].data.fd;
      const std::uint32_t ready = events[i].events;
      if (fd == listener) {
        accept_all(epfd, listener);
      } else if (fd == sigfd) {
        for (Tail* tail : g_tails) {
          std::free(tail);
        }
        return 0;
      } else if (g_tails[static_cast<std::size_t>(fd)] != nullptr) {
        // Registered for EPOLLOUT only; EPOLLERR/EPOLLHUP surface as a failed
        // write there.
        on_writable(epfd, fd);
      } else if ((ready & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
        on_readable(epfd, fd);
      }
    }
  }
}
