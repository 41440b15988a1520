#include "tcp_load_connection.hpp"

#include "load_driver.hpp"
#include "tcp_driver.hpp"

#include <eddy/loop.hpp>
#include <eddy/tcp_connect.hpp>

#include <algorithm>
#include <string>

namespace eddy_load {

namespace {

std::string describe(const eddy::CloseInfo& info) {
  switch (info.reason) {
    case eddy::CloseReason::kEof:
      return "closed by the server";
    case eddy::CloseReason::kTimeout:
      return "timed out";
    case eddy::CloseReason::kReset:
    case eddy::CloseReason::kError:
    case eddy::CloseReason::kLocal:
      break;
  }
  return info.error ? info.error.message() : std::string(eddy::to_string(info.reason));
}

}  // namespace

TcpLoadConnection::TcpLoadConnection(TcpDriver& driver, std::size_t index)
    : driver_(driver),
      payload_(driver.context().payload),
      id_(static_cast<std::uint32_t>(index)),
      quota_(message_quota(driver.context().options, index)),
      depth_(driver.context().options.depth),
      size_(driver.context().options.size),
      schedule_(driver.context().options.rate, driver.context().options.connections, index),
      sent_at_(depth_),
      pacer_(driver.context().loop, [this] { send_due(); }) {}

void TcpLoadConnection::connect() {
  const DriverContext& context = driver_.context();
  eddy::TcpConnectionOptions options;
  // Queued output never exceeds one window, so the watermark must not pause
  // our reading below it: with both ends paused, nobody would read again.
  options.high_watermark = depth_ * size_ + eddy::TcpConnectionOptions{}.high_watermark;
  eddy::connect(
      context.loop, context.options.server, context.options.connect_timeout,
      [this](std::error_code error, eddy::TcpConnection::Ptr connection) {
        on_connected(error, std::move(connection));
      },
      options);
}

void TcpLoadConnection::on_connected(std::error_code error, eddy::TcpConnection::Ptr connection) {
  if (error || !connection) {
    phase_ = Phase::kClosed;
    driver_.context().stats.count_connect_error(error ? error.message() : "no connection");
    driver_.connect_finished(false);
    return;
  }
  if (driver_.stopping()) {
    phase_ = Phase::kClosed;  // too late: the run is over; the Ptr's destructor aborts it
    driver_.connect_finished(false);
    return;
  }
  connection_ = std::move(connection);
  connection_->on_data([this](eddy::TcpConnection& c, eddy::Buffer& input) { on_data(c, input); });
  connection_->on_close([this](eddy::TcpConnection& c, const eddy::CloseInfo& info) { on_close(c, info); });
  connection_->start();
  phase_ = Phase::kConnected;
  driver_.connect_finished(true);
}

void TcpLoadConnection::start(eddy::TimePoint start) {
  if (phase_ != Phase::kConnected) {
    return;
  }
  phase_ = Phase::kSending;
  schedule_.begin(start);
  send_due();
  close_if_done();  // a quota of zero messages
}

void TcpLoadConnection::stop() {
  pacer_.stop();
  if (phase_ == Phase::kConnected || phase_ == Phase::kSending) {
    phase_ = Phase::kDraining;
    close_if_done();
  }
}

void TcpLoadConnection::abort() {
  pacer_.stop();
  if (connection_ && phase_ != Phase::kClosed) {
    phase_ = Phase::kClosing;
    connection_->abort();
  }
}

void TcpLoadConnection::on_data(eddy::TcpConnection& /*connection*/, eddy::Buffer& input) {
  // The iteration's wake-up time: when the kernel had the reply for us,
  // without a clock read per message.
  const eddy::TimePoint now = driver_.context().loop.now();
  while (!input.empty()) {
    const std::string_view chunk = input.front();
    if (!consume(chunk, now)) {
      return;  // aborted; the connection drops its input itself
    }
    input.drain(chunk.size());
  }
  send_due();
  close_if_done();
}

bool TcpLoadConnection::consume(std::string_view chunk, eddy::TimePoint now) {
  ThreadStats& stats = driver_.context().stats;
  while (!chunk.empty()) {
    if (in_flight() == 0) {
      report_mismatch(receive_offset_, std::nullopt, static_cast<unsigned char>(chunk.front()));
      return false;
    }
    const std::size_t n = std::min(chunk.size(), size_ - receive_offset_);
    const MessageId id{id_, next_receive_};
    const std::size_t at = payload_.verify(id, receive_offset_, chunk.substr(0, n));
    if (at != Payload::npos) {
      report_mismatch(receive_offset_ + at, static_cast<unsigned char>(payload_.expected_byte(id, receive_offset_ + at)),
                      static_cast<unsigned char>(chunk[at]));
      return false;
    }
    chunk.remove_prefix(n);
    receive_offset_ += n;
    if (receive_offset_ == size_) {
      stats.record_message(sent_at_[next_receive_ % depth_], now, size_);
      ++next_receive_;
      receive_offset_ = 0;
    }
  }
  return true;
}

void TcpLoadConnection::report_mismatch(std::size_t offset_in_message, std::optional<unsigned char> expected,
                                        unsigned char actual) {
  Mismatch mismatch;
  mismatch.connection = id_;
  mismatch.offset = next_receive_ * size_ + offset_in_message;
  mismatch.expected = expected;
  mismatch.actual = actual;
  driver_.context().stats.count_mismatch(mismatch);
  abort();
}

void TcpLoadConnection::send_due() {
  if (phase_ != Phase::kSending) {
    return;
  }
  const std::span<char> scratch = driver_.scratch();
  const eddy::TimePoint now = eddy::Clock::now();
  std::size_t used = 0;
  while (in_flight() < depth_ && next_send_ < quota_) {
    const eddy::TimePoint due = schedule_.due(next_send_);
    if (schedule_.throttled() && due > now) {
      break;
    }
    payload_.fill(MessageId{id_, next_send_}, scratch.data() + used);
    sent_at_[next_send_ % depth_] = schedule_.throttled() ? due : now;
    ++next_send_;
    used += size_;
    if (used + size_ > scratch.size()) {
      connection_->write(scratch.data(), used);
      used = 0;
    }
  }
  if (used > 0) {
    connection_->write(scratch.data(), used);
  }
  // Only when the window has room: otherwise the next reply sends.
  if (schedule_.throttled() && in_flight() < depth_ && next_send_ < quota_) {
    pacer_.start(schedule_.due(next_send_) - now);
  }
}

void TcpLoadConnection::close_if_done() {
  const bool quota_done = next_receive_ >= quota_;
  const bool drained = phase_ == Phase::kDraining && in_flight() == 0 && receive_offset_ == 0;
  if ((phase_ == Phase::kSending && quota_done) || drained) {
    phase_ = Phase::kClosing;
    pacer_.stop();
    connection_->close();
  }
}

void TcpLoadConnection::on_close(eddy::TcpConnection& /*connection*/, const eddy::CloseInfo& info) {
  // Our own close() or abort() reports kLocal; anything else before the
  // stop is the server ending a connection in the middle of the run.
  if (phase_ != Phase::kClosing && info.reason != eddy::CloseReason::kLocal) {
    driver_.context().stats.count_reset(describe(info));
  }
  phase_ = Phase::kClosed;
  pacer_.stop();
  connection_.reset();  // safe inside its own callback: destroyed when it returns
  driver_.connection_closed();
}

}  // namespace eddy_load
