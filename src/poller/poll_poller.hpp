#pragma once

#include "poller/poller.hpp"

#include <poll.h>

#include <vector>

namespace eddy::detail {

// Readiness through ppoll(2): the portable fallback, and a second backend
// that every test runs on. O(n) per wait in the number of watched fds.
class PollPoller final : public Poller {
 public:
  std::string_view name() const noexcept override { return "poll"; }
  std::error_code add(int fd, unsigned events, std::uint64_t token) noexcept override;
  std::error_code modify(int fd, unsigned events, std::uint64_t token) noexcept override;
  void remove(int fd) noexcept override;
  std::error_code wait(std::optional<Duration> timeout, std::vector<ReadyEvent>& ready) override;

 private:
  // fds_[i] and tokens_[i] describe one registration; position_[fd] is i, or
  // -1 when fd is not registered. Removal swaps the last entry into the gap.
  std::vector<pollfd> fds_;
  std::vector<std::uint64_t> tokens_;
  std::vector<int> position_;
};

}  // namespace eddy::detail
