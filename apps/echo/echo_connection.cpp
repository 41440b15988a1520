#include "echo_connection.hpp"

#include <eddy/io_events.hpp>
#include <eddy/loop.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace eddy_echo {

namespace {

// Sends as much of `data` as the socket takes without blocking and returns
// how much that was. EAGAIN is not an error: it only means "full for now".
// MSG_NOSIGNAL turns a write to a reset peer into EPIPE instead of SIGPIPE.
std::size_t send_some(int fd, std::span<const char> data, std::error_code& ec) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else if (errno != EINTR) {
      ec.assign(errno, std::system_category());
      break;
    }
  }
  return sent;
}

}  // namespace

EchoConnection::EchoConnection(eddy::Loop& loop, eddy::UniqueFd socket, std::span<char> read_buffer, CloseCallback on_close)
    : socket_(std::move(socket)),
      read_buffer_(read_buffer),
      on_close_(std::move(on_close)),
      // The ready events are not needed: kError and kHangup arrive whatever
      // the interest, and the read or send that follows reports the actual
      // error (or EOF) anyway.
      watcher_(loop, socket_.get(), [this](unsigned /*events*/) { on_ready(); }) {}

void EchoConnection::start(std::error_code& ec) noexcept { watcher_.start(eddy::kReadable, ec); }

void EchoConnection::on_ready() {
  if ((watcher_.events() & eddy::kWritable) != 0) {
    on_writable();
  } else {
    on_readable();
  }
}

void EchoConnection::on_readable() {
  ssize_t n = 0;
  do {
    n = ::read(socket_.get(), read_buffer_.data(), read_buffer_.size());
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    echo(read_buffer_.first(static_cast<std::size_t>(n)));
  } else if (n == 0) {
    close();  // the peer is done sending, and nothing is pending in this state
  } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
    close();  // ECONNRESET, ETIMEDOUT, ...: nothing more can be delivered
  }
}

void EchoConnection::echo(std::span<const char> data) {
  std::error_code ec;
  const std::size_t sent = send_some(socket_.get(), data, ec);
  if (ec) {
    close();
    return;
  }
  if (sent == data.size()) {
    return;  // the usual case: one read, one send, no epoll_ctl
  }
  pending_.assign(data.begin() + static_cast<std::ptrdiff_t>(sent), data.end());
  pending_offset_ = 0;
  // Writable only, not readable: stop taking input from a peer that is not
  // taking its output, and let TCP flow control slow it down.
  watcher_.start(eddy::kWritable, ec);
  if (ec) {
    close();
  }
}

void EchoConnection::on_writable() {
  std::error_code ec;
  const std::span<const char> rest(pending_.data() + pending_offset_, pending_.size() - pending_offset_);
  pending_offset_ += send_some(socket_.get(), rest, ec);
  if (ec) {
    close();
    return;
  }
  if (pending_offset_ < pending_.size()) {
    return;
  }
  pending_.clear();
  pending_offset_ = 0;
  watcher_.start(eddy::kReadable, ec);
  if (ec) {
    close();
  }
}

void EchoConnection::close() {
  watcher_.stop();
  on_close_(*this);  // may schedule our destruction: nothing is touched after it
}

}  // namespace eddy_echo
