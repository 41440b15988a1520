#pragma once

#include "payload.hpp"
#include "send_schedule.hpp"

#include <eddy/clock.hpp>
#include <eddy/timer.hpp>
#include <eddy/udp_socket.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace eddy_load {

class UdpDriver;

// A datagram with no reply after this long is counted lost (a timeout) and
// its place in the window goes to the next message.
inline constexpr std::chrono::seconds kLossTimeout{1};

// One UDP "connection" of the load: its own socket (its own port, so the
// server's replies come back to it), up to `depth` datagrams in flight, each
// reply checked whole against the message its header names.
//
//   slots_[sequence % depth]:  busy (sent, waiting) or free
//   message n is sent only when its slot is free, so at most `depth` are in
//   flight and a reply finds its slot by its sequence number alone.
//
// Replies may come back in any order, late, twice, or not at all: a late or
// duplicate reply that verifies is ignored, a lost one becomes a timeout
// when its slot is expired, and only a reply whose bytes differ from its
// message is a mismatch. When the header itself is damaged the reply cannot
// be matched to its slot, which then also expires as a timeout.
//
// Loop thread only. Owned by its UdpDriver.
class UdpLoadSocket {
 public:
  UdpLoadSocket(UdpDriver& driver, std::size_t index);

  UdpLoadSocket(const UdpLoadSocket&) = delete;
  UdpLoadSocket& operator=(const UdpLoadSocket&) = delete;

  // Opens the socket; false (and counted as a connect error) on failure.
  bool open();
  void start(eddy::TimePoint start);
  // Closes at once: datagrams in flight are neither counted nor lost.
  void close() noexcept;
  // Counts as lost each datagram sent before `now` - kLossTimeout, then
  // sends into the slots that freed.
  void expire(eddy::TimePoint now);

  bool is_open() const noexcept { return open_; }

 private:
  struct Slot {
    std::uint64_t sequence = 0;
    eddy::TimePoint sent_at{};  // its due time at a fixed rate: the latency's origin
    eddy::TimePoint expires{};  // from when it really went out
    bool busy = false;
  };

  void on_receive(const eddy::UdpSocket::Datagram& datagram);
  void release(Slot& slot) noexcept;
  void send_due();
  void close_if_done();

  UdpDriver& driver_;
  const Payload& payload_;
  const std::uint32_t id_;
  const std::uint64_t quota_;
  const std::size_t depth_;
  const std::size_t size_;
  SendSchedule schedule_;
  std::vector<Slot> slots_;
  eddy::UdpSocket socket_;
  eddy::Timer pacer_;
  std::uint64_t next_send_ = 0;
  std::size_t in_flight_ = 0;
  bool open_ = false;
  bool sending_ = false;
  bool closing_ = false;
};

}  // namespace eddy_load
