#include "udp_load_socket.hpp"

#include "load_driver.hpp"
#include "udp_driver.hpp"

#include <eddy/loop.hpp>

#include <algorithm>

namespace eddy_load {

UdpLoadSocket::UdpLoadSocket(UdpDriver& driver, std::size_t index)
    : driver_(driver),
      payload_(driver.context().payload),
      id_(static_cast<std::uint32_t>(index)),
      quota_(message_quota(driver.context().options, index)),
      depth_(driver.context().options.depth),
      size_(driver.context().options.size),
      schedule_(driver.context().options.rate, driver.context().options.connections, index),
      slots_(depth_),
      // One byte more than a message, so that a longer reply shows as
      // truncated instead of passing as a message of the right size.
      socket_(
          driver.context().loop,
          [this](eddy::UdpSocket& /*socket*/, const eddy::UdpSocket::Datagram& datagram) { on_receive(datagram); },
          size_ + 1),
      pacer_(driver.context().loop, [this] { send_due(); }) {}

bool UdpLoadSocket::open() {
  const std::error_code error = socket_.open(driver_.context().options.server.family());
  if (error) {
    driver_.context().stats.count_connect_error(error.message());
    return false;
  }
  open_ = true;
  return true;
}

void UdpLoadSocket::start(eddy::TimePoint start) {
  if (!open_) {
    return;
  }
  sending_ = true;
  schedule_.begin(start);
  send_due();
  close_if_done();
}

void UdpLoadSocket::close() noexcept {
  sending_ = false;
  pacer_.stop();
  if (open_) {
    open_ = false;
    socket_.close();
    driver_.socket_closed();
  }
}

void UdpLoadSocket::release(Slot& slot) noexcept {
  slot.busy = false;
  --in_flight_;
}

void UdpLoadSocket::on_receive(const eddy::UdpSocket::Datagram& datagram) {
  if (!open_ || closing_) {
    return;
  }
  ThreadStats& stats = driver_.context().stats;
  const std::string_view data(datagram.data.data(), datagram.data.size());
  // The header is whole in every message (main() requires --size >= 12 with
  // --udp); what it names is the message the reply must equal.
  const std::optional<MessageId> claimed = Payload::read_id(data);
  const std::uint64_t sequence = claimed ? claimed->sequence : 0;
  const MessageId id{id_, sequence};
  const std::size_t common = std::min(data.size(), size_);
  std::size_t at = payload_.verify(id, 0, data.substr(0, common));
  if (at == Payload::npos && (datagram.truncated || data.size() != size_)) {
    at = common;  // right bytes, wrong length
  }
  if (at == Payload::npos && sequence >= next_send_) {
    at = 4;  // a message not sent yet: the sequence number is wrong
  }
  Slot& slot = slots_[sequence % depth_];
  const bool ours = slot.busy && slot.sequence == sequence;
  if (at != Payload::npos) {
    Mismatch mismatch;
    mismatch.connection = id_;
    mismatch.offset = at;
    if (at < size_) {
      mismatch.expected = static_cast<unsigned char>(payload_.expected_byte(id, at));
    }
    if (at < data.size()) {
      mismatch.actual = static_cast<unsigned char>(data[at]);
    }
    stats.count_mismatch(mismatch);
    if (ours && at >= Payload::kHeaderSize) {
      release(slot);  // the header was right, so this was the reply to that slot
    }
  } else if (ours) {
    stats.record_message(slot.sent_at, driver_.context().loop.now(), size_);
    release(slot);
  }
  // else: a late reply to a datagram already counted lost, or a duplicate.
  send_due();
  close_if_done();
}

void UdpLoadSocket::expire(eddy::TimePoint now) {
  if (!sending_) {
    return;
  }
  bool freed = false;
  for (Slot& slot : slots_) {
    if (slot.busy && slot.expires <= now) {
      driver_.context().stats.count_timeout();
      release(slot);
      freed = true;
    }
  }
  if (freed) {
    send_due();
    close_if_done();
  }
}

void UdpLoadSocket::send_due() {
  if (!sending_) {
    return;
  }
  const std::span<char> scratch = driver_.scratch();
  const eddy::TimePoint now = eddy::Clock::now();
  while (in_flight_ < depth_ && next_send_ < quota_) {
    Slot& slot = slots_[next_send_ % depth_];
    const eddy::TimePoint due = schedule_.due(next_send_);
    if (slot.busy || (schedule_.throttled() && due > now)) {
      break;
    }
    payload_.fill(MessageId{id_, next_send_}, scratch.data());
    // A datagram the socket buffer has no room for (EAGAIN) is dropped, as
    // UDP allows: it counts as lost when its slot expires.
    static_cast<void>(socket_.send_to(std::span<const char>(scratch.data(), size_), driver_.context().options.server));
    slot = Slot{next_send_, schedule_.throttled() ? due : now, now + kLossTimeout, true};
    ++in_flight_;
    ++next_send_;
  }
  if (schedule_.throttled() && in_flight_ < depth_ && next_send_ < quota_ && !slots_[next_send_ % depth_].busy) {
    pacer_.start(schedule_.due(next_send_) - now);
  }
}

void UdpLoadSocket::close_if_done() {
  if (sending_ && !closing_ && next_send_ >= quota_ && in_flight_ == 0) {
    // Closed after the current callbacks: the socket may be in the middle of
    // delivering a batch of datagrams to us.
    closing_ = true;
    sending_ = false;
    driver_.context().loop.defer([this] { close(); });
  }
}

}  // namespace eddy_load
