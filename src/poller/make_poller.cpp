#include "poller/epoll_poller.hpp"
#include "poller/poll_poller.hpp"
#include "poller/poller.hpp"
#if EDDY_HAVE_URING
#include "poller/uring_poller.hpp"
#endif

#include <eddy/log.hpp>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

namespace eddy::detail {
namespace {

// The uring backend, or epoll with one line saying why not. The line is
// written once per process: a server's every thread asks for a ring, and
// the kernel's answer is the same for all of them.
std::unique_ptr<Poller> make_uring_or_epoll() {
  std::string why;
#if EDDY_HAVE_URING
  try {
    return std::make_unique<UringPoller>();
  } catch (const std::system_error& refused) {
    why = refused.what();
  }
#else
  why = "this eddy was built without liburing";
#endif
  static std::atomic<bool> told{false};
  if (!told.exchange(true)) {
    log(LogLevel::kWarning, "eddy: io_uring unavailable (" + why + "); using epoll");
  }
  return std::make_unique<EpollPoller>();
}

}  // namespace

std::unique_ptr<Poller> make_poller(std::string_view name) {
  std::string_view chosen = name;
  std::string_view origin = "LoopOptions::backend";
  if (chosen.empty()) {
    const char* env = std::getenv("EDDY_BACKEND");
    if (env != nullptr && *env != '\0') {
      chosen = env;
      origin = "EDDY_BACKEND";
    } else {
      chosen = "epoll";
    }
  }
  if (chosen == "epoll") {
    return std::make_unique<EpollPoller>();
  }
  if (chosen == "poll") {
    return std::make_unique<PollPoller>();
  }
  if (chosen == "uring") {
    return make_uring_or_epoll();
  }
  throw std::invalid_argument(std::string(origin) + ": unknown backend '" + std::string(chosen) +
                              "' (known: epoll, poll, uring)");
}

}  // namespace eddy::detail
