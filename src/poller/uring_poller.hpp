#pragma once

#include "poller/poller.hpp"

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace eddy::detail {

// Readiness through io_uring(7) poll requests, and socket receives and
// sends by completion (CompletionIo): one ring carries them all and the
// wait, so a loop iteration is one io_uring_enter however many requests it
// starts. See uring_poller.cpp for how level-triggered readiness is kept,
// how received data lands in pool blocks, and the kernel's pitfalls.
class UringPoller final : public Poller, public CompletionIo {
 public:
  // Throws std::system_error when the kernel refuses a ring
  // (io_uring_setup: ENOSYS, EPERM under seccomp or
  // kernel.io_uring_disabled, ENOMEM under RLIMIT_MEMLOCK) or lacks an
  // operation the backend needs; what() says which.
  UringPoller();
  ~UringPoller() override;

  UringPoller(const UringPoller&) = delete;
  UringPoller& operator=(const UringPoller&) = delete;

  std::string_view name() const noexcept override { return "uring"; }
  std::error_code add(int fd, unsigned events, std::uint64_t token) noexcept override;
  std::error_code modify(int fd, unsigned events, std::uint64_t token) noexcept override;
  void remove(int fd) noexcept override;
  std::error_code wait(std::optional<Duration> timeout, std::vector<ReadyEvent>& ready) override;
  CompletionIo* completions() noexcept override { return kernel_has_completions_ ? this : nullptr; }

  bool use_pool(BlockPool& pool) override;
  void recv_start(int fd, std::size_t max_bytes, std::uint64_t token) noexcept override;
  void recv_stop(std::uint64_t token) noexcept override;
  void cancel_now(std::uint64_t token) noexcept override;
  void submit_started() noexcept override;
  void send_start(int fd, const iovec* parts, std::size_t count, std::uint64_t token) noexcept override;
  std::error_code accept_start(int fd, std::uint64_t token) noexcept override;
  bool shed_start(int fd, std::uint64_t token) noexcept override;
  std::error_code datagram_start(int fd, std::size_t max_bytes, std::uint64_t token) noexcept override;
  void cancel_all(int fd) noexcept override;
  std::vector<Completion>& completed() noexcept override { return completed_; }

 private:
  // What eddy asked for one fd number, and the poll request that serves it.
  struct Registration {
    std::uint64_t token = 0;
    std::uint32_t poll_mask = 0;   // epoll bits (EPOLLIN, EPOLLET, ...)
    std::uint32_t generation = 0;  // bumped whenever the request in flight stops being this one
    bool registered = false;
    bool armed = false;   // a poll request of this generation is in the kernel
    bool queued = false;  // listed in rearm_
  };

  io_uring_sqe* next_sqe() noexcept;
  int submit() noexcept;
  void release_send_headers() noexcept;
  void queue_arm(int fd, Registration& reg);
  void cancel_armed(int fd, Registration& reg) noexcept;
  void arm_queued() noexcept;
  void collect(std::vector<ReadyEvent>& ready);
  void collect_poll(const io_uring_cqe& cqe, std::vector<ReadyEvent>& ready);
  void collect_recv(const io_uring_cqe& cqe);
  void collect_request(const io_uring_cqe& cqe, bool datagram);
  void provide(std::uint16_t id, Block* block) noexcept;
  void fill_ring();

  io_uring ring_{};
  std::vector<Registration> by_fd_;  // indexed by fd number
  std::vector<int> rearm_;           // fds to arm before the next wait
  std::vector<Completion> completed_;
  bool kernel_has_completions_ = false;  // provided-buffer rings and the rest of the path (6.3 or later)
  bool bundles_ = false;                 // a receive may fill several blocks (6.10)
  // An accept's completion says whether more peers wait in the backlog
  // (IORING_CQE_F_SOCK_NONEMPTY, 6.10); before, the listener must ask.
  bool accepts_report_backlog_ = false;
  // Sheds (shed_start) need accepts that do not wait (6.10) and a table
  // of direct descriptors, registered on the first shed.
  bool accepts_can_skip_waiting_ = false;
  bool shed_table_registered_ = false;

  // The blocks the kernel receives into: a provided-buffer ring (group
  // kBufferGroup) of pool blocks, provided_[i] holding the block with
  // buffer id i.
  BlockPool* pool_ = nullptr;
  io_uring_buf_ring* buffer_ring_ = nullptr;
  std::vector<Block*> provided_;
  // Where each buffer id sits in the ring, and which id sits at each
  // position: a bundle's completion names its first block only, and the
  // others are the ones after it in the ring.
  std::vector<std::uint16_t> position_of_;
  std::vector<std::uint16_t> id_at_;

  // The headers of the sendmsg requests not yet submitted: the kernel
  // reads them at submission, so they live until the next submit().
  struct SendHeader {
    msghdr header;
    iovec parts[kMaxSendParts];
  };
  static constexpr std::size_t kSendHeaders = 256;
  std::unique_ptr<SendHeader[]> send_headers_;
  std::size_t send_headers_used_ = 0;

  // The accepts and datagram receives in flight, each with the memory the
  // kernel writes the peer's address and the datagram into (so never
  // moved: held by pointer), reused once its completion has been
  // dispatched (requests_done_ until the next wait).
  struct Request {
    std::uint64_t token = 0;
    Received received{};
    msghdr message{};
    iovec part{};
    std::unique_ptr<char[]> buffer;
    std::size_t capacity = 0;
  };
  Request* acquire_request(std::uint64_t token, std::uint32_t& index) noexcept;
  std::vector<std::unique_ptr<Request>> requests_;
  std::vector<std::uint32_t> free_requests_;
  std::vector<std::uint32_t> requests_done_;
};

}  // namespace eddy::detail
