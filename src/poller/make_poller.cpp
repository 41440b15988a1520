#include "poller/epoll_poller.hpp"
#include "poller/poll_poller.hpp"
#include "poller/poller.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace eddy::detail {

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
  throw std::invalid_argument(std::string(origin) + ": unknown backend '" + std::string(chosen) +
                              "' (known: epoll, poll)");
}

}  // namespace eddy::detail
