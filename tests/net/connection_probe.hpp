#pragma once

#include <eddy/buffer.hpp>
#include <eddy/clock.hpp>
#include <eddy/close_reason.hpp>
#include <eddy/tcp_connection.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace eddy::test {

// Records what a TcpConnection reports: every byte on_data saw (drained
// from the input), each on_drained, each on_close with its time. Tests that
// need a callback to do more set their own after attach().
struct ConnectionProbe {
  std::string data;
  std::size_t data_calls = 0;
  std::size_t drained = 0;
  std::vector<CloseInfo> closes;
  std::optional<TimePoint> closed_at;

  void attach(TcpConnection& connection) {
    connection.on_data([this](TcpConnection&, Buffer& input) { take(input); });
    connection.on_drained([this](TcpConnection&) { ++drained; });
    connection.on_close([this](TcpConnection&, const CloseInfo& info) { record_close(info); });
  }

  void take(Buffer& input) {
    ++data_calls;
    const std::size_t old_size = data.size();
    data.resize(old_size + input.size());
    input.remove(data.data() + old_size, input.size());
  }

  void record_close(const CloseInfo& info) {
    closes.push_back(info);
    if (!closed_at) {
      closed_at = Clock::now();
    }
  }

  bool closed() const noexcept { return !closes.empty(); }
};

// A reset as TcpConnection may report it: kReset, or kError carrying
// ECONNRESET or EPIPE (the two ways a kernel says the peer is gone).
inline bool is_reset(const CloseInfo& info) {
  if (info.reason == CloseReason::kReset) {
    return true;
  }
  return info.reason == CloseReason::kError &&
         (info.error == std::errc::connection_reset || info.error == std::errc::broken_pipe);
}

}  // namespace eddy::test
