#pragma once

// libevent's common timeouts (event_base_init_common_timeout): a duration
// handed out as a timeval whose tv_usec carries a mark above the
// microseconds, 0x5 in the top nibble and the duration's index in the next
// byte, so that a program sees libevent's values. eddy keeps one such
// timeval per duration in the base and times events with them as plain
// timeouts.

#include <sys/time.h>

#include <cstddef>

namespace eddy::compat {

inline constexpr suseconds_t kCommonMask = 0xf0000000;
inline constexpr suseconds_t kCommonMagic = 0x50000000;
inline constexpr suseconds_t kCommonIndexMask = 0x0ff00000;
inline constexpr int kCommonIndexShift = 20;
inline constexpr suseconds_t kMicrosecondsMask = 0x000fffff;
inline constexpr std::size_t kMaxCommonTimeouts = 256;

inline bool is_common_timeout(const timeval& tv) noexcept { return (tv.tv_usec & kCommonMask) == kCommonMagic; }

// The duration a timeval given to event_add() stands for.
inline timeval common_timeout_duration(const timeval& tv) noexcept {
  return is_common_timeout(tv) ? timeval{tv.tv_sec, tv.tv_usec & kMicrosecondsMask} : tv;
}

}  // namespace eddy::compat
