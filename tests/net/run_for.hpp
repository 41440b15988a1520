#pragma once

#include "net/peer_io.hpp"
#include "support/run_until.hpp"

#include <eddy/clock.hpp>
#include <eddy/loop.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace eddy::test {

// Runs the loop for `duration` of wall-clock time, whatever happens: for
// tests that check something does NOT happen within a window.
inline void run_for(Loop& loop, Duration duration, Duration step = std::chrono::milliseconds(5)) {
  const TimePoint end = Clock::now() + duration;
  while (Clock::now() < end) {
    loop.run_once(std::min<Duration>(step, end - Clock::now()));
  }
}

// Runs the loop while a plain peer socket reads what arrives, until `size`
// bytes have come or `deadline` passes; returns what the peer read (compare
// its size to know which).
inline std::string read_while_running(Loop& loop, int peer_fd, std::size_t size, Duration deadline) {
  std::string received;
  (void)run_until(
      loop,
      [&] {
        read_available(peer_fd, received);
        return received.size() >= size;
      },
      deadline);
  return received;
}

}  // namespace eddy::test
