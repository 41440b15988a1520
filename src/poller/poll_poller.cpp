// The poll backend.
//
// Pitfalls of poll(2) that shape this file:
// - An fd closed while registered is reported as POLLNVAL on every call
//   until it is removed; we report it as kError so the owner can stop its
//   watcher, instead of spinning silently.
// - poll() takes milliseconds; ppoll() takes a timespec, so sub-millisecond
//   timers are honoured.
// - POLLHUP can arrive without POLLIN on a socket whose peer closed; the
//   owner sees kHangup and its read() returns 0.
// - The pollfd array is rebuilt by nobody: registrations edit it in place, so
//   a wait costs O(n) in the kernel and nothing more here.
#include "poller/poll_poller.hpp"

#include "sys/error.hpp"

#include <eddy/io_events.hpp>

#include <ctime>

namespace eddy::detail {
namespace {

short to_poll(unsigned events) noexcept {
  unsigned out = 0;
  if ((events & kReadable) != 0U) {
    out |= POLLIN | POLLRDHUP;
  }
  if ((events & kWritable) != 0U) {
    out |= POLLOUT;
  }
  if ((events & kPeerClosed) != 0U) {
    out |= POLLRDHUP;
  }
  return static_cast<short>(out);
}

unsigned from_poll(short revents) noexcept {
  const auto r = static_cast<unsigned short>(revents);
  unsigned out = kNone;
  if ((r & (POLLIN | POLLRDHUP | POLLPRI)) != 0U) {
    out |= kReadable;
  }
  if ((r & POLLOUT) != 0U) {
    out |= kWritable;
  }
  if ((r & (POLLERR | POLLNVAL)) != 0U) {
    out |= kError;
  }
  if ((r & POLLHUP) != 0U) {
    out |= kHangup;
  }
  if ((r & POLLRDHUP) != 0U) {
    out |= kPeerClosed;
  }
  return out;
}

}  // namespace

std::error_code PollPoller::add(int fd, unsigned events, std::uint64_t token) noexcept {
  if (fd < 0) {
    return sys::make_error(EBADF);
  }
  const auto index = static_cast<std::size_t>(fd);
  if (index < position_.size() && position_[index] >= 0) {
    return sys::make_error(EEXIST);
  }
  try {
    if (index >= position_.size()) {
      position_.resize(index + 1, -1);
    }
    fds_.push_back({fd, to_poll(events), 0});
    tokens_.push_back(token);
  } catch (const std::bad_alloc&) {
    if (tokens_.size() < fds_.size()) {
      fds_.pop_back();
    }
    return sys::make_error(ENOMEM);
  }
  position_[index] = static_cast<int>(fds_.size() - 1);
  return {};
}

std::error_code PollPoller::modify(int fd, unsigned events, std::uint64_t token) noexcept {
  const auto index = static_cast<std::size_t>(fd);
  if (fd < 0 || index >= position_.size() || position_[index] < 0) {
    return sys::make_error(ENOENT);
  }
  const auto at = static_cast<std::size_t>(position_[index]);
  fds_[at].events = to_poll(events);
  tokens_[at] = token;
  return {};
}

void PollPoller::remove(int fd) noexcept {
  const auto index = static_cast<std::size_t>(fd);
  if (fd < 0 || index >= position_.size() || position_[index] < 0) {
    return;
  }
  const auto at = static_cast<std::size_t>(position_[index]);
  const std::size_t last = fds_.size() - 1;
  if (at != last) {
    fds_[at] = fds_[last];
    tokens_[at] = tokens_[last];
    position_[static_cast<std::size_t>(fds_[at].fd)] = static_cast<int>(at);
  }
  fds_.pop_back();
  tokens_.pop_back();
  position_[index] = -1;
}

std::error_code PollPoller::wait(std::optional<Duration> timeout, std::vector<ReadyEvent>& ready) {
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout) {
    const auto ns = timeout->count() < 0 ? 0 : timeout->count();
    ts = {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    tsp = &ts;
  }
  int n = ::ppoll(fds_.data(), fds_.size(), tsp, nullptr);
  if (n < 0) {
    return errno == EINTR ? std::error_code{} : sys::last_error();
  }
  for (std::size_t i = 0; i < fds_.size() && n > 0; ++i) {
    if (fds_[i].revents != 0) {
      ready.push_back({tokens_[i], from_poll(fds_[i].revents)});
      --n;
    }
  }
  return {};
}

}  // namespace eddy::detail
