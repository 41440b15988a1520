#include "signal_map.hpp"

#include "event_list.hpp"
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

// The write end of the owning base's pipe, read by the signal handler: a
// lock-free atomic, async-signal safe.
std::atomic<int> wakeup_fd{-1};

// Which SignalMap owns the process's signal handling.
std::mutex owner_mutex;
SignalMap* owner = nullptr;

// Each catch is one byte, the signal's number, so the base counts catches
// by reading. A full pipe drops the byte, as libevent's does.
extern "C" void on_signal(int signo) {
  const int saved_errno = errno;
  const int fd = wakeup_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    const auto byte = static_cast<unsigned char>(signo);
    [[maybe_unused]] const ssize_t n = ::write(fd, &byte, 1);
  }
  errno = saved_errno;
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
          "signals at a time.  The base with the most recently added signal or the most recent "
          "event_base_loop() call gets preference.",
          static_cast<void*>(this), static_cast<void*>(owner));
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
  SignalEventList::push_front(head, ev);
  return 0;
}

void SignalMap::remove(event* ev) noexcept {
  const int signo = ev->ev_fd;
  SignalEventList::remove(ev);
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

void SignalMap::claim() noexcept {
  if (watched_ == 0) {
    return;
  }
  std::lock_guard lock(owner_mutex);
  owner = this;
  wakeup_fd.store(pipe_[1]);
}

void SignalMap::on_readable() {
  std::array<int, NSIG> caught{};
  unsigned char bytes[256];
  ssize_t n = 0;
  while ((n = ::read(pipe_[0], bytes, sizeof bytes)) > 0) {
    for (ssize_t i = 0; i < n; ++i) {
      if (bytes[i] < NSIG) {
        ++caught[bytes[i]];
      }
    }
  }
  for (int signo = 1; signo < NSIG; ++signo) {
    const int times = caught[static_cast<unsigned>(signo)];
    if (times != 0 && heads_[static_cast<unsigned>(signo)] != nullptr) {
      on_caught_(signo, times > 0x7fff ? 0x7fff : times);
    }
  }
}

}  // namespace eddy::compat
