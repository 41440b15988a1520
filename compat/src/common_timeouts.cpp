#include "common_timeouts.hpp"

#include "event_base.hpp"
#include "log.hpp"

#include <memory>

using namespace eddy::compat;

const timeval* event_base::common_timeout(const timeval* duration) {
  if (is_common_timeout(*duration)) {
    const auto index = static_cast<std::size_t>((duration->tv_usec & kCommonIndexMask) >> kCommonIndexShift);
    if (index < common_timeouts.size() && common_timeouts[index]->tv_sec == duration->tv_sec &&
        common_timeouts[index]->tv_usec == duration->tv_usec) {
      return common_timeouts[index].get();
    }
  }
  timeval wanted = common_timeout_duration(*duration);
  if (wanted.tv_usec >= 1'000'000) {
    wanted.tv_sec += wanted.tv_usec / 1'000'000;
    wanted.tv_usec %= 1'000'000;
  }
  for (const auto& known : common_timeouts) {
    if (known->tv_sec == wanted.tv_sec && (known->tv_usec & kMicrosecondsMask) == wanted.tv_usec) {
      return known.get();
    }
  }
  if (common_timeouts.size() >= kMaxCommonTimeouts) {
    EDDY_COMPAT_WARN("event_base_init_common_timeout: Too many common timeouts already in use; at most %zu",
                     kMaxCommonTimeouts);
    return nullptr;
  }
  const auto index = static_cast<suseconds_t>(common_timeouts.size());
  auto tv = std::make_unique<timeval>(
      timeval{wanted.tv_sec, wanted.tv_usec | kCommonMagic | (index << kCommonIndexShift)});
  common_timeouts.push_back(std::move(tv));
  return common_timeouts.back().get();
}
