#include "echo_server.hpp"

#include <eddy/io_events.hpp>
#include <eddy/loop.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <system_error>

namespace eddy_echo {

namespace {

// One read per readiness, echoed before the next: 64 KiB keeps the number of
// system calls per byte low (libevent 2.1's 4 KiB reads are a known limit).
constexpr std::size_t kReadSize = 64 * 1024;
constexpr std::chrono::milliseconds kAcceptPause{100};
constexpr std::chrono::seconds kShedReportInterval{1};

eddy::UniqueFd open_spare() { return eddy::UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

// accept(2), "Error handling": Linux reports some network errors of the
// new connection through accept; like an aborted connection they concern
// only that client, so the next one may be accepted at once.
bool is_per_connection_error(int error) {
  switch (error) {
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
      return true;
    default:
      return false;
  }
}

}  // namespace

EchoServer::EchoServer(eddy::Loop& loop, eddy::UniqueFd listener)
    : loop_(loop),
      listener_(std::move(listener)),
      read_buffer_(kReadSize),
      accept_watcher_(loop, listener_.get(), [this](unsigned /*events*/) { on_acceptable(); }),
      resume_timer_(loop, [this] { resume_accepting(); }) {}

void EchoServer::start() {
  spare_fd_ = open_spare();
  if (!spare_fd_) {
    throw std::system_error(errno, std::system_category(), "cannot open /dev/null");
  }
  accept_watcher_.start(eddy::kReadable);
}

void EchoServer::stop() noexcept {
  accept_watcher_.stop();
  resume_timer_.stop();
  listener_.reset();
  connections_.clear();  // each destructor stops its watcher, then closes its socket
}

void EchoServer::on_acceptable() {
  // Drain the whole listen queue: a burst of clients costs one wakeup.
  for (;;) {
    eddy::UniqueFd socket(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (socket) {
      add_connection(std::move(socket));
      continue;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      return;  // the queue is empty
    }
    if (error == EINTR || is_per_connection_error(error)) {
      continue;
    }
    if (error == EMFILE || error == ENFILE) {
      const ShedResult shed = shed_connection();
      if (shed == ShedResult::kShed) {
        continue;
      }
      if (shed == ShedResult::kFailed) {
        pause_accepting();
      }
      return;
    }
    // ENOBUFS, ENOMEM: the kernel is short of memory. The client stays
    // queued and is retried on the next iteration.
    return;
  }
}

void EchoServer::add_connection(eddy::UniqueFd socket) {
  // Echoed bytes go out as soon as they are read: Nagle's algorithm would
  // hold small replies back until the previous one is acknowledged.
  const int on = 1;
  ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);

  const int fd = socket.get();
  auto connection = std::make_unique<EchoConnection>(loop_, std::move(socket), read_buffer_,
                                                     [this](EchoConnection& closed) { on_connection_close(closed); });
  std::error_code ec;
  connection->start(ec);
  if (ec) {
    std::fprintf(stderr, "eddy-echo: cannot watch a new connection: %s\n", ec.message().c_str());
    return;  // destroying `connection` closes the socket: the client sees EOF
  }
  connections_.emplace(fd, std::move(connection));
}

void EchoServer::on_connection_close(EchoConnection& connection) {
  auto entry = connections_.find(connection.fd());
  std::unique_ptr<EchoConnection> owned = std::move(entry->second);
  connections_.erase(entry);
  // We are inside the connection's own IoWatcher callback: destroying it now
  // would free the callback while it runs. Loop::defer runs the task after
  // this iteration's callbacks; the connection dies with the task.
  loop_.defer([owned = std::move(owned)]() mutable { owned.reset(); });
}

EchoServer::ShedResult EchoServer::shed_connection() {
  if (!spare_fd_) {
    return ShedResult::kFailed;
  }
  spare_fd_.reset();
  eddy::UniqueFd shed(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  const int error = errno;
  spare_fd_ = open_spare();
  if (!shed) {
    // accept4 takes a descriptor before it looks at the queue, so the
    // EMFILE that brought us here may have meant "no client waiting".
    return error == EAGAIN || error == EWOULDBLOCK ? ShedResult::kQueueEmpty : ShedResult::kFailed;
  }
  report_shed();
  return ShedResult::kShed;  // `shed` closes here: the client sees its connection end
}

void EchoServer::report_shed() {
  ++shed_since_report_;
  const eddy::TimePoint now = loop_.now();
  if (last_shed_report_ && now - *last_shed_report_ < kShedReportInterval) {
    return;
  }
  std::fprintf(stderr, "eddy-echo: out of file descriptors: closed %zu new connection(s) at once\n",
               shed_since_report_);
  last_shed_report_ = now;
  shed_since_report_ = 0;
}

void EchoServer::pause_accepting() {
  accept_watcher_.stop();
  resume_timer_.start(kAcceptPause);
}

void EchoServer::resume_accepting() {
  if (!spare_fd_) {
    spare_fd_ = open_spare();
  }
  std::error_code ec;
  accept_watcher_.start(eddy::kReadable, ec);
  if (ec) {
    pause_accepting();
  }
}

}  // namespace eddy_echo
