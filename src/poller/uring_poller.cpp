// The io_uring backend.
//
// How it keeps the loop's level-triggered contract (poller.hpp) with poll
// requests:
// - A level-triggered registration is a one-shot IORING_OP_POLL_ADD. When
//   it completes, the fd is reported and queued to be armed again before
//   the next wait. A one-shot poll checks the file when it is armed and
//   completes at once if it is still ready, so an fd whose owner left data
//   unread is reported again on the next iteration, as epoll reports it.
//   Re-arming costs no system call: the new requests go in with the wait.
// - A kEdgeTriggered registration is one multishot poll (Linux 5.13), which
//   posts a completion on each wakeup of the file, as EPOLLET does. When
//   the kernel ends it (a completion without IORING_CQE_F_MORE), it is
//   armed again.
// - IORING_POLL_ADD_LEVEL is not used: despite its name it makes a poll
//   wait for the next wakeup even when the file is ready already.
//
// Pitfalls of io_uring that shape this file:
// - A poll request holds a reference to the file. Closing the fd does not
//   end it, and the socket stays open (no FIN reaches the peer) until the
//   request is removed. remove() therefore submits its IORING_OP_POLL_REMOVE
//   at once, before the caller closes the fd.
// - Errors arrive late: a poll of a bad fd fails in its completion, not at
//   submission. add() checks the fd with fcntl() first, so that a bad fd
//   fails the call that registered it, as with epoll_ctl.
// - A completion may belong to a request the loop no longer wants: one that
//   completed while its removal or replacement was on its way. Every poll
//   request's user_data carries the fd and the registration's generation;
//   a completion of an older generation is dropped. Removals carry
//   kIgnoredUserData and their completions are dropped too.
// - IORING_SETUP_SINGLE_ISSUER is not used: a loop may be built on one
//   thread and run on another (Loop::adopt_thread), which that flag forbids.
#include "poller/uring_poller.hpp"

#include "poller/epoll_events.hpp"
#include "sys/error.hpp"

#include <fcntl.h>

#include <cerrno>
#include <memory>
#include <string>
#include <system_error>

namespace eddy::detail {
namespace {

// Submission queue entries; the completion queue is twice as long. A loop
// re-arms at most one request per ready fd per iteration, and a full queue
// is submitted and reused (next_sqe), so this bounds nothing but a batch.
constexpr unsigned kRingEntries = 1024;

constexpr std::uint64_t kIgnoredUserData = ~std::uint64_t{0};

std::uint64_t user_data_of(int fd, std::uint32_t generation) noexcept {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(fd)) << 32) | generation;
}

[[noreturn]] void refuse(int error, const std::string& what) {
  throw std::system_error(std::error_code(error, std::system_category()), what);
}

}  // namespace

UringPoller::UringPoller() {
  io_uring_params params{};
  // COOP_TASKRUN (Linux 5.19): completions are run when the loop enters the
  // kernel anyway, not by interrupting it. SUBMIT_ALL (5.18): one bad entry
  // does not stop the rest of a batch. Older kernels refuse unknown flags
  // with EINVAL: try again without them.
  params.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL;
  int rc = io_uring_queue_init_params(kRingEntries, &ring_, &params);
  if (rc == -EINVAL) {
    params = io_uring_params{};
    rc = io_uring_queue_init_params(kRingEntries, &ring_, &params);
  }
  if (rc < 0) {
    refuse(-rc, "io_uring_setup");
  }
  // What the backend relies on: waits with a timeout but no timeout request
  // (EXT_ARG, 5.11), no completion ever dropped (NODROP, 5.5), 32-bit poll
  // masks for EPOLLRDHUP and EPOLLEXCLUSIVE (POLL_32BITS, 5.9).
  const unsigned needed = IORING_FEAT_EXT_ARG | IORING_FEAT_NODROP | IORING_FEAT_POLL_32BITS;
  if ((params.features & needed) != needed) {
    io_uring_queue_exit(&ring_);
    refuse(ENOSYS, "io_uring features (the kernel lacks EXT_ARG, NODROP or POLL_32BITS; Linux 5.11 has them)");
  }
  const std::unique_ptr<io_uring_probe, void (*)(io_uring_probe*)> probe(io_uring_get_probe_ring(&ring_),
                                                                          io_uring_free_probe);
  if (!probe || io_uring_opcode_supported(probe.get(), IORING_OP_POLL_ADD) == 0 ||
      io_uring_opcode_supported(probe.get(), IORING_OP_POLL_REMOVE) == 0) {
    io_uring_queue_exit(&ring_);
    refuse(ENOSYS, "io_uring probe (the kernel lacks IORING_OP_POLL_ADD or IORING_OP_POLL_REMOVE)");
  }
}

UringPoller::~UringPoller() { io_uring_queue_exit(&ring_); }

io_uring_sqe* UringPoller::next_sqe() noexcept {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (sqe == nullptr) {
    // The submission queue is full: hand what it holds to the kernel.
    (void)io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void UringPoller::queue_arm(int fd, Registration& reg) {
  if (!reg.queued) {
    rearm_.push_back(fd);
    reg.queued = true;
  }
}

void UringPoller::cancel_armed(Registration& reg) noexcept {
  if (reg.armed) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_remove(sqe, user_data_of(static_cast<int>(&reg - by_fd_.data()), reg.generation));
    io_uring_sqe_set_data64(sqe, kIgnoredUserData);
    reg.armed = false;
  }
  ++reg.generation;
}

std::error_code UringPoller::add(int fd, unsigned events, std::uint64_t token) noexcept {
  if (fd < 0 || ::fcntl(fd, F_GETFD) == -1) {
    return std::error_code(EBADF, std::system_category());
  }
  try {
    if (static_cast<std::size_t>(fd) >= by_fd_.size()) {
      by_fd_.resize(static_cast<std::size_t>(fd) + 1);
    }
    rearm_.reserve(rearm_.size() + 1);
  } catch (const std::bad_alloc&) {
    return std::make_error_code(std::errc::not_enough_memory);
  }
  Registration& reg = by_fd_[static_cast<std::size_t>(fd)];
  cancel_armed(reg);  // an fd registered twice (a dup of a watched file): the new registration wins, as with epoll
  reg.token = token;
  reg.poll_mask = to_epoll(events);
  reg.registered = true;
  queue_arm(fd, reg);
  return {};
}

std::error_code UringPoller::modify(int fd, unsigned events, std::uint64_t token) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size() || !by_fd_[static_cast<std::size_t>(fd)].registered) {
    return add(fd, events, token);
  }
  try {
    rearm_.reserve(rearm_.size() + 1);
  } catch (const std::bad_alloc&) {
    return std::make_error_code(std::errc::not_enough_memory);
  }
  Registration& reg = by_fd_[static_cast<std::size_t>(fd)];
  cancel_armed(reg);
  reg.token = token;
  reg.poll_mask = to_epoll(events);
  queue_arm(fd, reg);
  return {};
}

void UringPoller::remove(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size()) {
    return;
  }
  Registration& reg = by_fd_[static_cast<std::size_t>(fd)];
  if (!reg.registered) {
    return;
  }
  const bool was_armed = reg.armed;
  cancel_armed(reg);
  reg.registered = false;
  if (was_armed) {
    (void)io_uring_submit(&ring_);  // drops the request's hold on the file before the caller closes it
  }
}

void UringPoller::arm_queued() noexcept {
  for (const int fd : rearm_) {
    Registration& reg = by_fd_[static_cast<std::size_t>(fd)];
    reg.queued = false;
    if (!reg.registered || reg.armed) {
      continue;
    }
    io_uring_sqe* sqe = next_sqe();
    if ((reg.poll_mask & EPOLLET) != 0U) {
      io_uring_prep_poll_multishot(sqe, fd, reg.poll_mask & ~static_cast<std::uint32_t>(EPOLLET));
    } else {
      io_uring_prep_poll_add(sqe, fd, reg.poll_mask);
    }
    io_uring_sqe_set_data64(sqe, user_data_of(fd, reg.generation));
    reg.armed = true;
  }
  rearm_.clear();
}

std::error_code UringPoller::wait(std::optional<Duration> timeout, std::vector<ReadyEvent>& ready) {
  arm_queued();
  int rc = 0;
  if (io_uring_cq_ready(&ring_) != 0 || (timeout && timeout->count() <= 0)) {
    // Nothing to wait for: completions are there already, or the caller polls.
    rc = io_uring_submit(&ring_);
  } else if (timeout) {
    const auto ns = timeout->count();
    __kernel_timespec ts{ns / 1'000'000'000, ns % 1'000'000'000};
    io_uring_cqe* cqe = nullptr;
    rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
  } else {
    rc = io_uring_submit_and_wait(&ring_, 1);
  }
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) {
    // EBUSY: the completion queue overflowed into the kernel's backlog;
    // reaping below makes room.
    return sys::make_error(-rc);
  }
  collect(ready);
  return {};
}

void UringPoller::collect(std::vector<ReadyEvent>& ready) {
  unsigned head = 0;
  unsigned seen = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    ++seen;
    const std::uint64_t user_data = cqe->user_data;
    if (user_data == kIgnoredUserData) {
      continue;
    }
    const auto fd = static_cast<std::size_t>(user_data >> 32);
    if (fd >= by_fd_.size()) {
      continue;
    }
    Registration& reg = by_fd_[fd];
    if (!reg.registered || reg.generation != static_cast<std::uint32_t>(user_data)) {
      continue;  // a request removed or replaced since it completed
    }
    if ((cqe->flags & IORING_CQE_F_MORE) == 0U) {
      reg.armed = false;
      if (cqe->res < 0) {
        // The kernel refused the poll itself (the fd was closed behind the
        // loop's back, say): report an error once, and poll no more until
        // the owner changes the registration.
        ready.push_back(ReadyEvent{reg.token, kError});
        continue;
      }
      queue_arm(static_cast<int>(fd), reg);
    }
    if (cqe->res > 0) {
      ready.push_back(ReadyEvent{reg.token, from_epoll(static_cast<std::uint32_t>(cqe->res))});
    }
  }
  io_uring_cq_advance(&ring_, seen);
}

}  // namespace eddy::detail
