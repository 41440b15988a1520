#include "interrupt_request.hpp"

#include <csignal>
#include <utility>

namespace eddy_load {

void InterruptRequest::request(int signo) {
  const std::lock_guard lock(mutex_);
  if (signo_ != 0) {
    return;
  }
  signo_ = signo;
  if (listener_) {
    std::exchange(listener_, nullptr)(signo);
  }
}

int InterruptRequest::signo() const {
  const std::lock_guard lock(mutex_);
  return signo_;
}

void InterruptRequest::listen(std::function<void(int signo)> listener) {
  const std::lock_guard lock(mutex_);
  if (signo_ != 0 && listener) {
    listener(signo_);
    listener_ = nullptr;
    return;
  }
  listener_ = std::move(listener);
}

const char* signal_name(int signo) noexcept {
  switch (signo) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "a signal";
  }
}

}  // namespace eddy_load
