#pragma once

#include <eddy/clock.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace eddy_load {

// When each message of one connection is due to be sent.
//
// Without a rate, every message is due at once and the window of `depth`
// messages in flight is what paces a connection. With a rate R over C
// connections, message n of connection i is due at
//
//   start + (i + n * C) / R seconds
//
// so the C connections interleave into one evenly spaced stream of R
// messages per second. Latency is then measured from the due time, not from
// when the message actually went out: a server that stalls delays every
// message queued behind the stall, and those delays count (the fix for
// coordinated omission, as in wrk2).
class SendSchedule {
 public:
  SendSchedule() = default;
  SendSchedule(double rate, std::size_t total_connections, std::size_t connection_index) noexcept
      : ns_per_message_(rate > 0 ? 1e9 / rate : 0.0),
        stride_(static_cast<double>(total_connections)),
        phase_(static_cast<double>(connection_index)) {}

  bool throttled() const noexcept { return ns_per_message_ > 0; }

  void begin(eddy::TimePoint start) noexcept { start_ = start; }

  // The time message `sequence` is due; the start time when unthrottled.
  eddy::TimePoint due(std::uint64_t sequence) const noexcept {
    if (!throttled()) {
      return start_;
    }
    const double offset = (phase_ + static_cast<double>(sequence) * stride_) * ns_per_message_;
    return start_ + std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(offset)));
  }

 private:
  double ns_per_message_ = 0;  // 0: as fast as the window allows
  double stride_ = 1;
  double phase_ = 0;
  eddy::TimePoint start_{};
};

}  // namespace eddy_load
