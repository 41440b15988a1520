#pragma once

#include <eddy/clock.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

namespace eddy::detail {

// One readiness report from the kernel. `token` is whatever was registered
// with the fd; `events` are eddy::IoEvents bits.
struct ReadyEvent {
  std::uint64_t token;
  unsigned events;
};

// The backend interface: readiness from the kernel, nothing else. The loop
// owns the policy (timers, dispatch order, stale-event filtering); a backend
// only registers fds and waits. One file per backend, chosen at run time.
//
// All registrations are level-triggered. At most one registration per fd:
// add() of a registered fd fails with EEXIST.
class Poller {
 public:
  virtual ~Poller() = default;

  virtual std::string_view name() const noexcept = 0;

  virtual std::error_code add(int fd, unsigned events, std::uint64_t token) noexcept = 0;
  virtual std::error_code modify(int fd, unsigned events, std::uint64_t token) noexcept = 0;
  // Unregisters `fd`. Errors are not reported: the fd may already be closed,
  // which removed it from an epoll set by itself.
  virtual void remove(int fd) noexcept = 0;

  // Waits up to `timeout` (forever when empty; zero polls) and appends what
  // is ready to `ready`, which the caller has cleared. EINTR is not an
  // error: it returns with nothing appended.
  virtual std::error_code wait(std::optional<Duration> timeout, std::vector<ReadyEvent>& ready) = 0;
};

// Builds the backend named `name` ("epoll", "poll" or "uring"); an empty
// name means $EDDY_BACKEND, else "epoll". Where the kernel refuses io_uring
// (or it was not built in), "uring" gives epoll and logs one warning, once
// per process, saying why. Throws std::invalid_argument for an unknown name
// and std::system_error when the kernel refuses (e.g. epoll_create1).
std::unique_ptr<Poller> make_poller(std::string_view name);

}  // namespace eddy::detail
