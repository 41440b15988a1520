#include "signal_dispatcher.hpp"

#include "loop_core.hpp"
#include "sys/error.hpp"

#include <eddy/loop.hpp>
#include <eddy/signal_watcher.hpp>

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <string>

namespace eddy::detail {
namespace {

// Which loop owns each signal number, process-wide: a signal read from one
// loop's signalfd never reaches another's, so two loops cannot share one.
struct SignalOwners {
  std::mutex mutex;
  std::array<const void*, _NSIG> owner{};
};

SignalOwners& owners() {
  static SignalOwners instance;
  return instance;
}

void claim_signal(int signo, const void* loop) {
  SignalOwners& o = owners();
  std::lock_guard lock(o.mutex);
  const auto index = static_cast<std::size_t>(signo);
  if (o.owner[index] != nullptr && o.owner[index] != loop) {
    throw std::logic_error("SignalWatcher: signal " + std::to_string(signo) +
                           " is already watched by another Loop; a signal can be watched by one Loop at a time");
  }
  o.owner[index] = loop;
}

void release_signal(int signo) noexcept {
  SignalOwners& o = owners();
  std::lock_guard lock(o.mutex);
  o.owner[static_cast<std::size_t>(signo)] = nullptr;
}

sigset_t only(int signo) noexcept {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  return set;
}

}  // namespace

SignalDispatcher::SignalDispatcher(Loop& loop) : loop_(loop) { sigemptyset(&watched_); }

SignalDispatcher::~SignalDispatcher() {
  for (int signo = 1; signo < kSignals; ++signo) {
    if (!watchers_[static_cast<std::size_t>(signo)].empty()) {
      unwatch_signal(signo);
    }
  }
}

void SignalDispatcher::start(SignalWatcher& watcher) {
  const int signo = watcher.signo_;
  sigset_t probe;
  sigemptyset(&probe);
  if (signo <= 0 || signo >= kSignals || signo == SIGKILL || signo == SIGSTOP || sigaddset(&probe, signo) != 0) {
    throw std::invalid_argument("SignalWatcher: signal " + std::to_string(signo) + " cannot be watched");
  }
  auto& list = watchers_[static_cast<std::size_t>(signo)];
  if (list.empty()) {
    watch_signal(signo);
  }
  list.push_back(&watcher);
  watcher.active_ = true;
  watcher.id_ = ++next_id_;
}

void SignalDispatcher::stop(SignalWatcher& watcher) noexcept {
  auto& list = watchers_[static_cast<std::size_t>(watcher.signo_)];
  list.erase(std::find(list.begin(), list.end(), &watcher));
  watcher.active_ = false;
  if (list.empty()) {
    unwatch_signal(watcher.signo_);
  }
}

void SignalDispatcher::watch_signal(int signo) {
  claim_signal(signo, &loop_);
  const sigset_t set = only(signo);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &set, &previous);
  sigaddset(&watched_, signo);
  const int fd = ::signalfd(fd_ ? fd_.get() : -1, &watched_, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    const std::error_code error = sys::last_error();
    sigdelset(&watched_, signo);
    if (sigismember(&previous, signo) == 0) {
      pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    }
    release_signal(signo);
    throw std::system_error(error, "signalfd");
  }
  was_blocked_[static_cast<std::size_t>(signo)] = sigismember(&previous, signo) == 1;
  if (!fd_) {
    fd_.reset(fd);
    fd_watcher_.emplace(loop_, fd, [this](unsigned) { on_readable(); });
    loop_.core().make_internal(*fd_watcher_);
    fd_watcher_->start(kReadable);
  }
}

void SignalDispatcher::unwatch_signal(int signo) noexcept {
  sigdelset(&watched_, signo);
  if (sigisemptyset(&watched_) != 0) {
    fd_watcher_.reset();
    fd_.reset();
  } else {
    ::signalfd(fd_.get(), &watched_, SFD_NONBLOCK | SFD_CLOEXEC);
  }
  if (!was_blocked_[static_cast<std::size_t>(signo)]) {
    const sigset_t set = only(signo);
    const timespec no_wait{0, 0};
    while (::sigtimedwait(&set, nullptr, &no_wait) == signo) {
      // Discard: nobody watches it any more, and its default action may be fatal.
    }
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  }
  release_signal(signo);
}

void SignalDispatcher::on_readable() {
  signalfd_siginfo infos[16];
  while (fd_) {
    const ssize_t n = ::read(fd_.get(), infos, sizeof infos);
    if (n <= 0) {
      return;  // EAGAIN: drained
    }
    const auto count = static_cast<std::size_t>(n) / sizeof(signalfd_siginfo);
    for (std::size_t i = 0; i < count; ++i) {
      dispatch(static_cast<int>(infos[i].ssi_signo));
    }
  }
}

void SignalDispatcher::dispatch(int signo) {
  if (signo <= 0 || signo >= kSignals) {
    return;
  }
  // Callbacks may stop or destroy any watcher, so call from a snapshot and
  // re-check each entry against the live list before touching it.
  calling_.clear();
  for (SignalWatcher* watcher : watchers_[static_cast<std::size_t>(signo)]) {
    calling_.emplace_back(watcher, watcher->id_);
  }
  for (std::size_t i = 0; i < calling_.size(); ++i) {
    const auto [watcher, id] = calling_[i];
    if (is_registered(watcher, id, signo)) {
      watcher->on_signal_(signo);
    }
  }
}

bool SignalDispatcher::is_registered(const SignalWatcher* watcher, std::uint64_t id, int signo) const noexcept {
  const auto& list = watchers_[static_cast<std::size_t>(signo)];
  const auto it = std::find(list.begin(), list.end(), watcher);
  return it != list.end() && (*it)->id_ == id;
}

}  // namespace eddy::detail
