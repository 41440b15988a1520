#include "signal_map.hpp"

#include "log.hpp"

#include <eddy/loop.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace eddy::compat {
namespace {

// Shared with the signal handler, so plain atomics: lock-free, async-signal
// safe.
std::atomic<int> wakeup_fd{-1};
std::array<std::atomic<unsigned>, NSIG> caught_count{};

// Which SignalMap owns the process's signal handling.
std::mutex owner_mutex;
SignalMap* owner = nullptr;

extern "C" void on_signal(int signo) {
  const int saved_errno = errno;
  caught_count[static_cast<unsigned>(signo)].fetch_add(1, std::memory_order_relaxed);
  const int fd = wakeup_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    const char byte = static_cast<char>(signo);
    // A full pipe already guarantees a wakeup.
    [[maybe_unused]] const ssize_t n = ::write(fd, &byte, 1);
  }
  errno = saved_errno;
}

void link_front(event*& head, event* ev) noexcept {
  event_link& link = ev->ev_.ev_signal.ev_signal_next;
  link.next = head;
  if (head != nullptr) {
    head->ev_.ev_signal.ev_signal_next.prev_next = &link.next;
  }
  head = ev;
  link.prev_next = &head;
}

void unlink(event* ev) noexcept {
  event_link& link = ev->ev_.ev_signal.ev_signal_next;
  if (link.next != nullptr) {
    link.next->ev_.ev_signal.ev_signal_next.prev_next = link.prev_next;
  }
  *link.prev_next = link.next;
}

}  // namespace

SignalMap::~SignalMap() {
  for (int signo = 1; signo < NSIG; ++signo) {
    if (heads_[static_cast<unsigned>(signo)] != nullptr) {
      ::sigaction(signo, &saved_actions_[static_cast<unsigned>(signo)], nullptr);
    }
  }
  std::lock_guard lock(owner_mutex);
  if (owner == this) {
    owner = nullptr;
    wakeup_fd.store(-1);
  }
  close_pipe();
}

bool SignalMap::open_pipe() {
  if (::pipe2(pipe_, O_NONBLOCK | O_CLOEXEC) != 0) {
    EDDY_COMPAT_WARN("signal pipe: %s", std::strerror(errno));
    return false;
  }
  pipe_watcher_.emplace(loop_, pipe_[0], [this](unsigned) { on_readable(); });
  std::error_code ec;
  pipe_watcher_->start(kReadable, ec);
  if (ec) {
    EDDY_COMPAT_WARN("signal pipe: %s", ec.message().c_str());
    close_pipe();
    return false;
  }
  return true;
}

void SignalMap::close_pipe() noexcept {
  pipe_watcher_.reset();
  for (int& fd : pipe_) {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
}

int SignalMap::add(event* ev) {
  const int signo = ev->ev_fd;
  if (signo <= 0 || signo >= NSIG) {
    EDDY_COMPAT_WARN("event_add: signal number %d out of range", signo);
    return -1;
  }
  event*& head = heads_[static_cast<unsigned>(signo)];
  if (head == nullptr) {
    std::lock_guard lock(owner_mutex);
    if (owner != nullptr && owner != this && owner->watched_ > 0) {
      EDDY_COMPAT_WARN(
          "Added a signal to event base %p with signals already added to event_base %p.  Only one can have "
          "signals at a time.",
          static_cast<void*>(this), static_cast<void*>(owner));
      return -1;
    }
    if (pipe_[0] < 0 && !open_pipe()) {
      return -1;
    }
    struct sigaction action {};
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESTART;
    sigfillset(&action.sa_mask);
    if (::sigaction(signo, &action, &saved_actions_[static_cast<unsigned>(signo)]) != 0) {
      EDDY_COMPAT_WARN("sigaction(%d): %s", signo, std::strerror(errno));
      return -1;
    }
    owner = this;
    wakeup_fd.store(pipe_[1]);
    ++watched_;
  }
  link_front(head, ev);
  return 0;
}

void SignalMap::remove(event* ev) noexcept {
  const int signo = ev->ev_fd;
  unlink(ev);
  if (heads_[static_cast<unsigned>(signo)] == nullptr) {
    ::sigaction(signo, &saved_actions_[static_cast<unsigned>(signo)], nullptr);
    --watched_;
  }
}

int SignalMap::reinit() {
  if (pipe_[0] < 0) {
    return 0;
  }
  close_pipe();
  if (!open_pipe()) {
    return -1;
  }
  std::lock_guard lock(owner_mutex);
  if (owner == this) {
    wakeup_fd.store(pipe_[1]);
  }
  return 0;
}

void SignalMap::on_readable() {
  char bytes[64];
  while (::read(pipe_[0], bytes, sizeof bytes) > 0) {
  }
  for (int signo = 1; signo < NSIG; ++signo) {
    if (heads_[static_cast<unsigned>(signo)] == nullptr) {
      continue;
    }
    const unsigned times = caught_count[static_cast<unsigned>(signo)].exchange(0, std::memory_order_relaxed);
    if (times != 0) {
      on_caught_(signo, times > 0x7fff ? 0x7fff : static_cast<int>(times));
    }
  }
}

}  // namespace eddy::compat
