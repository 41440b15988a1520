#pragma once

#include "poller/poller.hpp"
#include "sys/fd.hpp"

#include <sys/epoll.h>

#include <vector>

namespace eddy::detail {

// Readiness through epoll(7), level-triggered. See epoll_poller.cpp for the
// kernel's pitfalls this backend handles.
class EpollPoller final : public Poller {
 public:
  EpollPoller();

  std::string_view name() const noexcept override { return "epoll"; }
  std::error_code add(int fd, unsigned events, std::uint64_t token) noexcept override;
  std::error_code modify(int fd, unsigned events, std::uint64_t token) noexcept override;
  void remove(int fd) noexcept override;
  std::error_code wait(std::optional<Duration> timeout, std::vector<ReadyEvent>& ready) override;

 private:
  int wait_raw(std::optional<Duration> timeout) noexcept;

  sys::UniqueFd epfd_;
  std::vector<epoll_event> events_;  // grows when a wait fills it, never shrinks
  bool have_pwait2_ = true;          // cleared on ENOSYS (kernels before 5.11)
};

}  // namespace eddy::detail
