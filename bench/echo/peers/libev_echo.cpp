// eddy-bench-libev-echo: a single-threaded TCP echo server on libev, written
// the way a libev user would write a fast one, as one of the peers that
// bench/echo/run.sh measures eddy-echo against.
//
// - libev's default loop (epoll on Linux); non-blocking sockets; two ev_io
//   watchers per connection, one for EV_READ and one for EV_WRITE, as libev's
//   documentation suggests.
// - Readable: one read() into a static 64 KiB buffer; with nothing queued it
//   is written straight back. What write() did not take is appended to the
//   connection's queue and the write watcher started; it writes from the queue
//   until the queue is empty, then stops.
// - Back-pressure: while more than 1 MiB is queued the read watcher is
//   stopped; the write that brings the queue to 1 MiB or less starts it again.
// - EOF, reset or any other read/write error closes the connection.
// - TCP_NODELAY on accepted sockets; SIGPIPE ignored; SIGINT/SIGTERM through
//   ev_signal break the loop: exit 0.
// - The listener accepts until EAGAIN on each readiness. EMFILE/ENFILE leaves
//   it readable and the loop spins until an fd frees, as in
//   bench/echo/epoll_echo.cpp.
//
// Usage: eddy-bench-libev-echo [--port N] [--bind ADDR]   (25341, 127.0.0.1)
// Exit codes: 0 after SIGINT/SIGTERM, 1 when it cannot listen, 2 bad usage.

#include <ev.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string>

#include "common.hpp"

namespace {

constexpr const char* kName = "eddy-bench-libev-echo";

char g_read_buffer[peers::kReadSize];

struct Connection {
  ev_io reader;
  ev_io writer;
  // Bytes read but not yet written back: queue[sent, size()). Empty, and
  // without a heap block, while the connection keeps up.
  std::string queue;
  std::size_t sent = 0;
};

void close_connection(struct ev_loop* loop, Connection* connection) {
  ev_io_stop(loop, &connection->reader);
  ev_io_stop(loop, &connection->writer);
  close(connection->reader.fd);
  delete connection;
}

// write() retrying on EINTR: bytes written, 0 when the socket buffer is full,
// -1 when the connection is dead.
ssize_t write_some(int fd, const char* data, std::size_t size) {
  for (;;) {
    ssize_t n = write(fd, data, size);
    if (n >= 0) {
      return n;
    }
    if (errno != EINTR) {
      return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
  }
}

void on_writable(struct ev_loop* loop, ev_io* watcher, int) {
  auto* connection = static_cast<Connection*>(watcher->data);
  std::string& queue = connection->queue;
  ssize_t written = write_some(watcher->fd, queue.data() + connection->sent, queue.size() - connection->sent);
  if (written < 0) {
    close_connection(loop, connection);
    return;
  }
  connection->sent += static_cast<std::size_t>(written);
  const std::size_t queued = queue.size() - connection->sent;
  if (queued == 0) {
    ev_io_stop(loop, watcher);
    std::string().swap(queue);  // an idle connection keeps no heap block
    connection->sent = 0;
  } else if (connection->sent >= queued) {
    queue.erase(0, connection->sent);  // keep appends from growing it forever
    connection->sent = 0;
  }
  if (queued <= peers::kMaxQueued && !ev_is_active(&connection->reader)) {
    ev_io_start(loop, &connection->reader);
  }
}

void on_readable(struct ev_loop* loop, ev_io* watcher, int) {
  auto* connection = static_cast<Connection*>(watcher->data);
  ssize_t n;
  do {
    n = read(watcher->fd, g_read_buffer, sizeof g_read_buffer);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return;
  }
  if (n <= 0) {  // EOF, reset or another error
    close_connection(loop, connection);
    return;
  }
  const char* data = g_read_buffer;
  auto size = static_cast<std::size_t>(n);
  std::string& queue = connection->queue;
  if (queue.empty()) {
    ssize_t written = write_some(watcher->fd, data, size);
    if (written < 0) {
      close_connection(loop, connection);
      return;
    }
    data += written;
    size -= static_cast<std::size_t>(written);
    if (size == 0) {
      return;
    }
    ev_io_start(loop, &connection->writer);
  }
  queue.append(data, size);
  if (queue.size() - connection->sent > peers::kMaxQueued) {
    ev_io_stop(loop, &connection->reader);
  }
}

void on_acceptable(struct ev_loop* loop, ev_io* watcher, int) {
  for (;;) {
    int fd = accept4(watcher->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      return;  // EAGAIN: all accepted; EMFILE and the like: see the top
    }
    peers::set_nodelay(fd);
    auto* connection = new Connection;
    ev_io_init(&connection->reader, on_readable, fd, EV_READ);
    ev_io_init(&connection->writer, on_writable, fd, EV_WRITE);
    connection->reader.data = connection;
    connection->writer.data = connection;
    ev_io_start(loop, &connection->reader);
  }
}

void on_signal(struct ev_loop* loop, ev_signal*, int) { ev_break(loop, EVBREAK_ALL); }

}  // namespace

int main(int argc, char** argv) {
  const peers::Options options = peers::parse_options(kName, argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  const int listener = peers::listen_socket(options, SOCK_NONBLOCK);

  struct ev_loop* loop = ev_default_loop(EVFLAG_AUTO);
  if (loop == nullptr) {
    std::fprintf(stderr, "%s: ev_default_loop failed\n", kName);
    return 1;
  }
  ev_io accept_watcher;
  ev_io_init(&accept_watcher, on_acceptable, listener, EV_READ);
  ev_io_start(loop, &accept_watcher);
  ev_signal stop_signals[2];
  const int signals[2] = {SIGINT, SIGTERM};
  for (int i = 0; i < 2; ++i) {
    ev_signal_init(&stop_signals[i], on_signal, signals[i]);
    ev_signal_start(loop, &stop_signals[i]);
  }

  ev_run(loop, 0);
  return 0;
}
