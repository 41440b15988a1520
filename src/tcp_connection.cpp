#include <eddy/loop.hpp>
#include <eddy/tcp_connection.hpp>

#include "sys/socket.hpp"

#include <cerrno>

namespace eddy {

// Counts the connection's callbacks on the stack. A Ptr destroyed inside
// one only marks the connection (Deleter); the outermost scope deletes it
// once the callback has returned, so nothing below ever runs on freed
// memory. Code after a user callback re-checks state_ before acting.
class TcpConnection::CallbackScope {
 public:
  explicit CallbackScope(TcpConnection& connection) noexcept : connection_(connection) {
    ++connection_.dispatch_depth_;
  }
  ~CallbackScope() {
    if (--connection_.dispatch_depth_ == 0 && connection_.destroy_requested_) {
      delete &connection_;
    }
  }
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;

 private:
  TcpConnection& connection_;
};

void TcpConnection::Deleter::operator()(TcpConnection* connection) const noexcept {
  if (connection->dispatch_depth_ == 0) {
    delete connection;
    return;
  }
  // Inside one of its callbacks: close now, free when the callback returns.
  // The callbacks stay in place (one of them may be running); the closed
  // state keeps them from being called again.
  connection->destroy_requested_ = true;
  if (connection->state_ != State::kClosed) {
    if (!connection->output_.empty()) {
      sys::set_reset_on_close(connection->socket_.get());
    }
    connection->state_ = State::kClosed;
  }
  connection->watcher_.stop();
  connection->timer_.stop();
  connection->socket_.reset();
}

TcpConnection::Ptr TcpConnection::adopt(Loop& loop, UniqueFd socket, const TcpConnectionOptions& options) {
  sys::set_nonblocking(socket.get());
  if (options.no_delay) {
    sys::set_no_delay(socket.get());
  }
  return Ptr(new TcpConnection(loop, std::move(socket), options));
}

TcpConnection::TcpConnection(Loop& loop, UniqueFd socket, const TcpConnectionOptions& options)
    : loop_(loop),
      socket_(std::move(socket)),
      options_(options),
      input_(loop.block_pool()),
      output_(loop.block_pool()),
      watcher_(loop, socket_.get(), [this](unsigned events) { on_ready(events); }),
      timer_(loop, [this] { on_timer(); }) {}

TcpConnection::~TcpConnection() {
  watcher_.stop();  // before the socket closes: a watcher never outlives its fd
  if (socket_ && state_ != State::kClosed && !output_.empty()) {
    sys::set_reset_on_close(socket_.get());
  }
}

void TcpConnection::start() {
  last_read_ = last_write_ = loop_.now();
  update_interest();
  arm_timeouts();
}

std::optional<SocketAddress> TcpConnection::peer_address() const noexcept {
  return SocketAddress::peer_of(socket_.get());
}

bool TcpConnection::write(std::string_view data) {
  if (state_ != State::kOpen || write_shut_) {
    return false;
  }
  const bool was_empty = output_.empty();
  if (was_empty && !data.empty()) {
    // Write-through: nothing is queued, so the kernel may take it all now,
    // straight from the caller's memory, with no copy and no epoll_ctl.
    std::error_code ec;
    const std::size_t sent = sys::send_some(socket_.get(), data.data(), data.size(), ec);
    if (ec) {
      fail(ec);  // reported through on_close from the loop
      return true;
    }
    count(&TrafficCounters::bytes_out, sent);
    data.remove_prefix(sent);
    if (data.empty()) {
      last_write_ = loop_.now();
      return true;
    }
  }
  output_.append(data);
  after_queueing(was_empty);
  return true;
}

bool TcpConnection::write(Buffer&& data) {
  if (state_ != State::kOpen || write_shut_) {
    return false;
  }
  const bool was_empty = output_.empty();
  output_.append(std::move(data));
  // Write-through as for bytes: nothing was queued, so the kernel may take
  // it all now. Only the rest waits for writability.
  if (was_empty && !write_out()) {
    return true;  // failed: reported through on_close from the loop
  }
  if (!output_.empty()) {
    after_queueing(was_empty);
  }
  return true;
}

void TcpConnection::after_queueing(bool was_empty) {
  if (was_empty) {
    last_write_ = loop_.now();  // the write timeout counts from when output starts waiting
  }
  if (output_.size() > options_.high_watermark) {
    above_high_ = true;
  }
  update_interest();
  arm_timeouts();
}

void TcpConnection::shutdown_write() {
  if (state_ != State::kOpen || write_shut_) {
    return;
  }
  write_shut_ = true;
  if (output_.empty()) {
    sys::shutdown_write(socket_.get());
  }
}

void TcpConnection::close() {
  if (state_ != State::kOpen) {
    return;
  }
  state_ = State::kClosing;
  if (output_.empty()) {
    finish(CloseReason::kLocal, {});
    return;
  }
  update_interest();
  arm_timeouts();
}

void TcpConnection::abort() {
  if (state_ == State::kClosed) {
    return;
  }
  sys::set_reset_on_close(socket_.get());
  finish(CloseReason::kLocal, {});
}

void TcpConnection::pause_reading() {
  reading_wanted_ = false;
  update_interest();
}

void TcpConnection::resume_reading() {
  reading_wanted_ = true;
  update_interest();
}

void TcpConnection::on_ready(unsigned events) {
  CallbackScope scope(*this);
  if ((watcher_.events() & kWritable) != 0U && (events & (kWritable | kError | kHangup)) != 0U) {
    flush();
  }
  if (state_ != State::kClosed && (watcher_.events() & kReadable) != 0U &&
      (events & (kReadable | kError | kHangup)) != 0U) {
    handle_readable();
  }
}

void TcpConnection::handle_readable() {
  const IoResult result = input_.read_from(socket_.get(), options_.read_size);
  if (result.bytes > 0) {
    last_read_ = loop_.now();
    count(&TrafficCounters::bytes_in, result.bytes);
    count(&TrafficCounters::reads, 1);
    if (on_data_) {
      on_data_(*this, input_);  // may write, close, or destroy the Ptr (see CallbackScope)
    }
    return;
  }
  if (result.eof) {
    peer_eof_ = true;
    if (output_.empty()) {
      finish(CloseReason::kEof, {});
    } else {
      update_interest();  // stop reading; flush() finishes with kEof once output is out
    }
    return;
  }
  if (result.error) {
    fail(result.error);
  }
}

bool TcpConnection::write_out() {
  while (!output_.empty()) {
    const IoResult result = output_.write_to(socket_.get());
    if (result.error) {
      fail(result.error);
      return false;
    }
    if (result.bytes == 0) {
      break;  // the socket buffer is full: wait for writable
    }
    last_write_ = loop_.now();
    count(&TrafficCounters::bytes_out, result.bytes);
  }
  return true;
}

void TcpConnection::flush() {
  const bool was_above_low = output_.size() > options_.low_watermark;
  if (!write_out()) {
    return;
  }
  if (output_.empty()) {
    if (state_ == State::kClosing) {
      finish(CloseReason::kLocal, {});
      return;
    }
    if (peer_eof_) {
      finish(CloseReason::kEof, {});
      return;
    }
    if (write_shut_) {
      sys::shutdown_write(socket_.get());
    }
  }
  if (output_.size() <= options_.low_watermark) {
    above_high_ = false;
  }
  update_interest();
  if (was_above_low && output_.size() <= options_.low_watermark && state_ == State::kOpen && on_drained_) {
    on_drained_(*this);
  }
}

void TcpConnection::update_interest() {
  if (state_ == State::kClosed) {
    return;
  }
  unsigned wanted = kNone;
  if (state_ == State::kOpen && reading_wanted_ && !above_high_ && !peer_eof_) {
    wanted |= kReadable;
  }
  if (!output_.empty()) {
    wanted |= kWritable;
  }
  if (wanted == watcher_.events()) {
    return;
  }
  const bool resumes_reading = (wanted & kReadable) != 0U && (watcher_.events() & kReadable) == 0U;
  std::error_code ec;
  watcher_.start(wanted, ec);
  if (ec) {
    finish(CloseReason::kError, ec);
    return;
  }
  if (resumes_reading) {
    // A pause does not count against the read timeout: it restarts now.
    last_read_ = loop_.now();
    arm_timeouts();
  }
}

std::optional<TimePoint> TcpConnection::next_timeout() const noexcept {
  std::optional<TimePoint> next;
  const auto consider = [&next](TimePoint candidate) {
    if (!next || candidate < *next) {
      next = candidate;
    }
  };
  if (options_.read_timeout > Duration::zero() && (watcher_.events() & kReadable) != 0U) {
    consider(last_read_ + options_.read_timeout);
  }
  if (options_.write_timeout > Duration::zero() && !output_.empty()) {
    consider(last_write_ + options_.write_timeout);
  }
  if (options_.idle_timeout > Duration::zero()) {
    consider(std::max(last_read_, last_write_) + options_.idle_timeout);
  }
  return next;
}

void TcpConnection::arm_timeouts() {
  // Activity only moves deadlines later, and reads and writes merely store
  // a timestamp: the timer is touched when it fires (and re-armed for the
  // real deadline) or when a nearer deadline appears, never per read.
  if (state_ == State::kClosed) {
    return;
  }
  const std::optional<TimePoint> next = next_timeout();
  if (next && (!timer_.is_active() || *next < timer_.due())) {
    timer_.start(*next - loop_.now());
  }
}

void TcpConnection::on_timer() {
  CallbackScope scope(*this);
  if (state_ == State::kClosed) {
    if (on_close_) {
      on_close_(*this, close_info_);
    }
    if (release_hook_ != nullptr && !destroy_requested_) {
      release_hook_(release_owner_, *this);  // the owner drops its Ptr: freed when this scope ends
    }
    return;
  }
  const std::optional<TimePoint> next = next_timeout();
  if (!next) {
    return;
  }
  if (*next <= loop_.now()) {
    finish(CloseReason::kTimeout, {});
    return;
  }
  timer_.start(*next - loop_.now());
}

void TcpConnection::fail(std::error_code error) {
  const bool reset = error == std::errc::connection_reset || error == std::errc::broken_pipe;
  finish(reset ? CloseReason::kReset : CloseReason::kError, error);
}

void TcpConnection::finish(CloseReason reason, std::error_code error) {
  if (state_ == State::kClosed) {
    return;
  }
  state_ = State::kClosed;
  close_info_ = {reason, error};
  watcher_.stop();
  socket_.reset();
  // The input stays: an on_data caller may still be reading it.
  output_.clear();
  // on_close always runs from the loop, never from inside the write() or
  // close() that ended the connection: the caller's stack stays simple.
  timer_.start(Duration::zero());
}

}  // namespace eddy
