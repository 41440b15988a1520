#pragma once

#include "payload.hpp"
#include "send_schedule.hpp"

#include <eddy/clock.hpp>
#include <eddy/close_reason.hpp>
#include <eddy/tcp_connection.hpp>
#include <eddy/timer.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

namespace eddy_load {

class TcpDriver;

// One TCP connection of the load: keeps up to `depth` messages in flight and
// checks the echo stream byte for byte, in order, against the messages it
// sent, regenerated from their sequence numbers.
//
//   sent:      [ msg n_recv | msg n_recv+1 | ... | msg n_send-1 ]   in flight <= depth
//                  ^ receive_offset_: bytes of msg n_recv already back
//
// A message is complete when its last byte is back; its round trip runs
// from its send time (sent_at_[n % depth]), or its due time at a fixed rate,
// to the start of the loop iteration that read that byte. Each batch of
// replies is answered with one write of as many new messages as completed.
//
// The first byte that differs, or a byte that nobody sent, counts one
// mismatch and aborts the connection: after a lost or extra byte the rest of
// the stream cannot be trusted, and other connections go on.
//
//   connecting -> connected -> sending -> draining -> closing -> closed
//        \______ failed (counted) _____________________________/
//
// Loop thread only. Owned by its TcpDriver.
class TcpLoadConnection {
 public:
  TcpLoadConnection(TcpDriver& driver, std::size_t index);

  TcpLoadConnection(const TcpLoadConnection&) = delete;
  TcpLoadConnection& operator=(const TcpLoadConnection&) = delete;

  void connect();
  // Sends its first window (or, at a rate, its first due message).
  void start(eddy::TimePoint start);
  // Sends nothing more; closes once the messages in flight are back.
  void stop();
  // Cuts the connection now (after the drain timeout).
  void abort();

  bool is_open() const noexcept { return connection_ != nullptr; }

 private:
  enum class Phase : unsigned char { kConnecting, kConnected, kSending, kDraining, kClosing, kClosed };

  void on_connected(std::error_code error, eddy::TcpConnection::Ptr connection);
  void on_data(eddy::TcpConnection& connection, eddy::Buffer& input);
  void on_close(eddy::TcpConnection& connection, const eddy::CloseInfo& info);

  // Verifies `chunk`, the next bytes of the echo; false after a mismatch
  // (the connection is then aborted).
  bool consume(std::string_view chunk, eddy::TimePoint now);
  void report_mismatch(std::size_t offset_in_message, std::optional<unsigned char> expected, unsigned char actual);
  void send_due();
  void close_if_done();
  std::uint64_t in_flight() const noexcept { return next_send_ - next_receive_; }

  TcpDriver& driver_;
  const Payload& payload_;
  const std::uint32_t id_;
  const std::uint64_t quota_;  // messages to send in all; UINT64_MAX: until stopped
  const std::size_t depth_;
  const std::size_t size_;
  SendSchedule schedule_;
  std::vector<eddy::TimePoint> sent_at_;  // by sequence % depth
  eddy::Timer pacer_;                     // at a fixed rate: wakes when the next message is due
  eddy::TcpConnection::Ptr connection_;
  std::uint64_t next_send_ = 0;
  std::uint64_t next_receive_ = 0;
  std::size_t receive_offset_ = 0;  // bytes of message next_receive_ already back
  Phase phase_ = Phase::kConnecting;
};

}  // namespace eddy_load
