// The epoll backend.
//
// Pitfalls of epoll(7) that shape this file:
// - A registration belongs to the open file description, not to the fd
//   number. Closing an fd removes it from the set only when no dup of it
//   remains (after fork, for instance), and a stale registration then keeps
//   reporting under the old token. The loop puts a generation number in the
//   token (epoll_data.u64) and drops events whose generation is stale, so
//   such events never reach the watcher that now owns that fd number.
// - EPOLLERR and EPOLLHUP are always reported, whatever the interest; an fd
//   registered with empty interest still wakes the loop with them. The loop
//   therefore removes fds instead of registering them with no events.
// - epoll_wait takes milliseconds; a 0.3 ms timer would wait 0 ms (busy
//   loop) or 1 ms (late). epoll_pwait2 (Linux 5.11) takes a timespec; on
//   older kernels it fails with ENOSYS and we round up to whole ms, which is
//   late, never early.
// - EPOLL_CTL_DEL on an fd that was already closed fails with EBADF; that
//   is expected and ignored.
// - EPOLLEXCLUSIVE (Linux 4.5) is accepted by EPOLL_CTL_ADD only, and only
//   beside EPOLLIN, EPOLLOUT, EPOLLET and EPOLLWAKEUP: EPOLLRDHUP with it,
//   or EPOLL_CTL_MOD of such a registration, fails with EINVAL. The loop
//   changes the interest of an exclusive watcher by a remove and an add. It wakes the first loop that is
//   blocked in epoll_wait; a busy one still gets the event queued, so a
//   shared listener must expect EAGAIN from accept.
#include "poller/epoll_poller.hpp"

#include "poller/epoll_events.hpp"

#include "sys/error.hpp"
#include "sys/raw_io.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

namespace eddy::detail {
namespace {

constexpr std::size_t kInitialEvents = 64;

}  // namespace

EpollPoller::EpollPoller() : epfd_(::epoll_create1(EPOLL_CLOEXEC)), events_(kInitialEvents) {
  if (!epfd_) {
    sys::throw_last_error("epoll_create1");
  }
}

std::error_code EpollPoller::add(int fd, unsigned events, std::uint64_t token) noexcept {
  epoll_event ev{};
  ev.events = to_epoll(events);
  ev.data.u64 = token;
  if (::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    // EEXIST: the fd number was closed and reopened by dup() of a file that
    // is still registered; the registration is ours to take over.
    if (errno != EEXIST || ::epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
      return sys::last_error();
    }
  }
  return {};
}

std::error_code EpollPoller::modify(int fd, unsigned events, std::uint64_t token) noexcept {
  epoll_event ev{};
  ev.events = to_epoll(events);
  ev.data.u64 = token;
  if (::epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
    // ENOENT: the fd was closed while registered (the kernel dropped it)
    // and its number reused; register the new file.
    if (errno != ENOENT || ::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      return sys::last_error();
    }
  }
  return {};
}

void EpollPoller::remove(int fd) noexcept {
  // Before Linux 2.6.9 DEL needed a non-null event pointer; pass one anyway.
  epoll_event ev{};
  ::epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, &ev);
}

// Minus the errno on failure, as the kernel answers. Both calls go through
// sys::raw_syscall: glibc's epoll_wait is a cancellation point (about 50
// instructions per call in a threaded program; see sys/raw_io.hpp), and
// glibc before 2.35 has no epoll_pwait2 wrapper at all.
int EpollPoller::wait_raw(std::optional<Duration> timeout) noexcept {
  const int max_events = static_cast<int>(events_.size());
  const auto events = reinterpret_cast<long>(events_.data());
  if (have_pwait2_ && timeout) {
    const auto ns = timeout->count() < 0 ? 0 : timeout->count();
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    const long n =
        sys::raw_syscall(SYS_epoll_pwait2, epfd_.get(), events, max_events, reinterpret_cast<long>(&ts), 0, 0);
    if (n != -ENOSYS) {
      return static_cast<int>(n);
    }
    have_pwait2_ = false;
  }
  int ms = -1;
  if (timeout) {
    const auto ns = timeout->count() < 0 ? 0 : timeout->count();
    const auto rounded_up = (ns + 999'999) / 1'000'000;
    ms = rounded_up > INT_MAX ? INT_MAX : static_cast<int>(rounded_up);
  }
  // epoll_pwait with no signal mask is epoll_wait (epoll_wait(2)); unlike
  // SYS_epoll_wait it exists on every architecture.
  return static_cast<int>(sys::raw_syscall(SYS_epoll_pwait, epfd_.get(), events, max_events, ms, 0, 0));
}

std::error_code EpollPoller::wait(std::optional<Duration> timeout, std::vector<ReadyEvent>& ready) {
  const int n = wait_raw(timeout);
  if (n < 0) {
    return n == -EINTR ? std::error_code{} : sys::make_error(-n);
  }
  const auto count = static_cast<std::size_t>(n);
  const epoll_event* in = events_.data();
  for (std::size_t i = 0; i < count; ++i) {
    ready.push_back(ReadyEvent{in[i].data.u64, from_epoll(in[i].events)});
  }
  if (count == events_.size()) {
    // Full: more may be waiting. Grow so the next wait can take them all.
    events_.resize(events_.size() * 2);
  }
  return {};
}

}  // namespace eddy::detail
