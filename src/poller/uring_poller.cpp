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
// Completions (CompletionIo), for connections:
// - Receives use IOSQE_BUFFER_SELECT: the kernel picks a block from a
//   provided-buffer ring (5.19) only when data is there, so an idle
//   connection holds no buffer. Each completion hands its block to the
//   connection, which owns it from then on like any pool block; the ring's
//   slot gets a fresh block from the loop's pool at once, so the ring stays
//   full and nothing is copied.
// - A receive takes up to read_size: where the kernel has bundles (6.10),
//   one completion fills several blocks, the ones after its first in the
//   ring (position_of_, id_at_). A receive is one-shot, and its connection
//   starts the next once on_data has returned. A multishot receive (6.0) would save that request, but it
//   reads ahead of the program: once a connection stops reading (its
//   output above the high watermark), everything the kernel had already
//   received into blocks, up to the whole ring, lands in its input, and a
//   peer that never reads could push megabytes past --max-buffer.
// - Accepts are one-shot IORING_OP_ACCEPT requests, each with an address
//   of its own for the peer (a multishot accept has one for all, so it
//   could not say who connected without a getpeername per connection, and
//   it goes on taking peers after the listener pauses). The address lives
//   here, not with the listener, because the kernel may write it after the
//   listener is gone: a cancellation does not stop an accept that is
//   already finishing. From 6.10 the completion says whether more peers
//   wait (kAcceptMore), so a lone peer costs no system call at all.
// - Datagrams (UdpSocket) are one-shot IORING_OP_RECVMSG requests into a
//   buffer of max_datagram kept here for the same reason; MSG_TRUNC makes
//   the result a long datagram's whole length.
// - Sends are plain IORING_OP_SEND of the caller's memory, one per
//   connection at a time (the connection keeps its output until the
//   completion, even when it closes: LoopCore::keep_until_sent).
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
//   a completion of an older generation is dropped. A receive's or send's
//   carries the loop's token, which the loop checks the same way. The low
//   three bits say which kind of request it was; removals and cancellations
//   are kIgnored and their completions are dropped.
// - IORING_SETUP_SINGLE_ISSUER is not used: a loop may be built on one
//   thread and run on another (Loop::adopt_thread), which that flag forbids.
#include "poller/uring_poller.hpp"

#include "buffer_blocks.hpp"
#include "poller/epoll_events.hpp"
#include "sys/error.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <new>
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

// The provided-buffer ring: 128 blocks of 16 KiB (2 MiB of the loop's pool).
// Each block the kernel writes into is memory the process keeps, so the
// ring stays small; a receive that finds it empty (ENOBUFS: more
// connections had data at once than it holds, 2 000 echo clients say)
// makes its connection read the data with a plain read(2) instead.
constexpr std::uint16_t kRingCapacity = 128;
constexpr std::uint16_t kBufferGroup = 0;

// Linux 6.3 (IORING_FEAT_REG_REG_RING): the kernel that this path was
// written for and tested on is newer; 6.3 is the first whose feature bits
// say it has provided-buffer rings (5.19) with their fixes.
#ifndef IORING_FEAT_REG_REG_RING
#define IORING_FEAT_REG_REG_RING (1U << 13)
#endif
// Receives that fill several provided buffers in one completion (Linux
// 6.10); Debian's liburing 2.3 predates them.
#ifndef IORING_FEAT_RECVSEND_BUNDLE
#define IORING_FEAT_RECVSEND_BUNDLE (1U << 14)
#endif
#ifndef IORING_RECVSEND_BUNDLE
#define IORING_RECVSEND_BUNDLE (1U << 4)
#endif
// An accept that fails with EAGAIN instead of waiting for a peer (6.10).
#ifndef IORING_ACCEPT_DONTWAIT
#define IORING_ACCEPT_DONTWAIT (1U << 1)
#endif
// The direct descriptor a shed accepts into and closes.
constexpr unsigned kShedSlot = 0;

// The most one receive takes, in blocks: read_size (64 KiB by default) is
// four.
constexpr std::size_t kMaxRecvBlocks = 16;

// user_data: the request's kind in the low three bits.
enum Kind : std::uint64_t { kPoll = 0, kRecv = 1, kSend = 2, kAccept = 3, kShed = 4, kDatagram = 5, kIgnored = 7 };
constexpr unsigned kKindBits = 3;
constexpr std::uint64_t kKindMask = (1U << kKindBits) - 1;
constexpr std::uint64_t kIgnoredUserData = ~std::uint64_t{0};

// A poll's: fd << 32 | 29 bits of generation << 3.
constexpr std::uint32_t kGenerationMask = 0x1FFF'FFFFU;
std::uint64_t poll_user_data(int fd, std::uint32_t generation) noexcept {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(fd)) << 32) |
         (static_cast<std::uint64_t>(generation & kGenerationMask) << kKindBits) | kPoll;
}
bool same_generation(std::uint64_t user_data, std::uint32_t generation) noexcept {
  return ((user_data >> kKindBits) & kGenerationMask) == (generation & kGenerationMask);
}

// A receive's or send's: the loop's token (generation << 32 | slot) with
// the slot shifted up past the kind. Slots stay below 2^29 (the table
// would need 2^29 active handles).
std::uint64_t io_user_data(std::uint64_t token, Kind kind) noexcept {
  return (token & 0xFFFF'FFFF'0000'0000ULL) | ((token & 0x1FFF'FFFFULL) << kKindBits) | kind;
}
std::uint64_t token_of(std::uint64_t user_data) noexcept {
  return (user_data & 0xFFFF'FFFF'0000'0000ULL) | ((user_data & 0xFFFF'FFFFULL) >> kKindBits);
}

// An accept's or a datagram receive's: the index of its Request, which
// holds the token and the memory the kernel writes into.
std::uint64_t request_user_data(std::uint32_t index, Kind kind) noexcept {
  return (static_cast<std::uint64_t>(index) << kKindBits) | kind;
}

// Whether the running kernel is version major.minor or later. For what
// the kernel changed without a feature bit to say so.
bool kernel_at_least(int major, int minor) noexcept {
  utsname name{};
  int running_major = 0;
  int running_minor = 0;
  if (::uname(&name) != 0 || std::sscanf(name.release, "%d.%d", &running_major, &running_minor) != 2) {
    return false;
  }
  return running_major > major || (running_major == major && running_minor >= minor);
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
  kernel_has_completions_ = (params.features & IORING_FEAT_REG_REG_RING) != 0U &&
                            io_uring_opcode_supported(probe.get(), IORING_OP_RECV) != 0 &&
                            io_uring_opcode_supported(probe.get(), IORING_OP_SEND) != 0 &&
                            io_uring_opcode_supported(probe.get(), IORING_OP_ASYNC_CANCEL) != 0 &&
                            io_uring_opcode_supported(probe.get(), IORING_OP_ACCEPT) != 0;
  bundles_ = (params.features & IORING_FEAT_RECVSEND_BUNDLE) != 0U;
  accepts_report_backlog_ = kernel_at_least(6, 10);
  accepts_can_skip_waiting_ = accepts_report_backlog_ && io_uring_opcode_supported(probe.get(), IORING_OP_CLOSE) != 0;
}

UringPoller::~UringPoller() {
  // Sockets accepted but never reaped are nobody's but ours.
  unsigned head = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    if ((cqe->user_data & kKindMask) == kAccept && cqe->res >= 0) {
      ::close(cqe->res);
    }
  }
  io_uring_queue_exit(&ring_);  // ends every request: the blocks below are the kernel's no more
  for (Block* block : provided_) {
    if (block != nullptr) {
      pool_->release(block);
    }
  }
  if (buffer_ring_ != nullptr) {
    ::munmap(buffer_ring_, kRingCapacity * sizeof(io_uring_buf));
  }
}

bool UringPoller::use_pool(BlockPool& pool) {
  if (!kernel_has_completions_ || buffer_ring_ != nullptr) {
    return buffer_ring_ != nullptr;
  }
  const std::size_t bytes = kRingCapacity * sizeof(io_uring_buf);
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (memory == MAP_FAILED) {
    return false;  // connections stay on readiness
  }
  auto* ring = static_cast<io_uring_buf_ring*>(memory);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uintptr_t>(ring);
  reg.ring_entries = kRingCapacity;
  reg.bgid = kBufferGroup;
  if (io_uring_register_buf_ring(&ring_, &reg, 0) != 0) {
    ::munmap(memory, bytes);
    return false;
  }
  io_uring_buf_ring_init(ring);
  pool_ = &pool;
  buffer_ring_ = ring;
  provided_.assign(kRingCapacity, nullptr);
  position_of_.assign(kRingCapacity, 0);
  id_at_.assign(kRingCapacity, 0);
  fill_ring();
  return true;
}

void UringPoller::provide(std::uint16_t id, Block* block) noexcept {
  provided_[id] = block;
  const std::uint16_t position = buffer_ring_->tail;  // ours to write: the kernel only reads it
  position_of_[id] = position;
  id_at_[position & (kRingCapacity - 1)] = id;
  io_uring_buf_ring_add(buffer_ring_, block->data(), static_cast<unsigned>(block->capacity), id,
                        io_uring_buf_ring_mask(kRingCapacity), 0);
  io_uring_buf_ring_advance(buffer_ring_, 1);
}

// A block under every id. The pool's cache grows by as many: the blocks of
// a ring's worth of receives come back to it together, once their echoes
// are sent, and a smaller cache would free them only to allocate them
// again for the next round.
void UringPoller::fill_ring() {
  for (std::uint16_t id = 0; id < kRingCapacity; ++id) {
    provide(id, pool_->acquire());
  }
  pool_->max_cached_blocks_ += kRingCapacity;
  pool_->max_cached_bytes_ += kRingCapacity * BlockPool::kBlockSize;
}

void UringPoller::recv_start(int fd, std::size_t max_bytes, std::uint64_t token) noexcept {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recv(sqe, fd, nullptr, 0, 0);
  if (bundles_) {
    const std::size_t most = kMaxRecvBlocks * BlockPool::kBlockSize;
    sqe->len = static_cast<unsigned>(max_bytes < most ? max_bytes : most);
    sqe->ioprio |= IORING_RECVSEND_BUNDLE;
  }
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, io_user_data(token, kRecv));
}

void UringPoller::recv_stop(std::uint64_t token) noexcept {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel64(sqe, io_user_data(token, kRecv), 0);
  io_uring_sqe_set_data64(sqe, kIgnoredUserData);
}

void UringPoller::cancel_now(std::uint64_t token) noexcept {
  for (const Kind kind : {kRecv, kSend}) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_cancel64(sqe, io_user_data(token, kind), 0);
    io_uring_sqe_set_data64(sqe, kIgnoredUserData);
  }
  (void)submit();
}

void UringPoller::submit_started() noexcept {
  if (io_uring_sq_ready(&ring_) != 0) {
    (void)submit();
  }
}

void UringPoller::send_start(int fd, const iovec* parts, std::size_t count, std::uint64_t token) noexcept {
  if (count > 1 && send_headers_used_ == kSendHeaders) {
    (void)submit();  // frees every header
  }
  io_uring_sqe* sqe = next_sqe();  // before taking a header: a full queue is submitted here
  if (count == 1 || send_headers_used_ == kSendHeaders) {
    // One piece, or the kernel took no entries (a full completion queue):
    // the first piece alone; the connection sends the rest after it.
    io_uring_prep_send(sqe, fd, parts[0].iov_base, parts[0].iov_len, MSG_NOSIGNAL);
  } else {
    if (!send_headers_) {
      send_headers_ = std::make_unique<SendHeader[]>(kSendHeaders);  // std::terminate if even this fails
    }
    SendHeader& h = send_headers_[send_headers_used_++];
    std::copy(parts, parts + count, h.parts);
    h.header = msghdr{};
    h.header.msg_iov = h.parts;
    h.header.msg_iovlen = count;
    io_uring_prep_sendmsg(sqe, fd, &h.header, MSG_NOSIGNAL);
  }
  io_uring_sqe_set_data64(sqe, io_user_data(token, kSend));
}

UringPoller::Request* UringPoller::acquire_request(std::uint64_t token, std::uint32_t& index) noexcept {
  if (free_requests_.empty()) {
    try {
      // Reserved now, so that recording the request's end cannot fail.
      requests_done_.reserve(requests_.size() + 1);
      free_requests_.reserve(requests_.size() + 1);
      requests_.push_back(std::make_unique<Request>());
    } catch (const std::bad_alloc&) {
      return nullptr;
    }
    free_requests_.push_back(static_cast<std::uint32_t>(requests_.size() - 1));
  }
  index = free_requests_.back();
  free_requests_.pop_back();
  Request& request = *requests_[index];
  request.token = token;
  request.received.length = sizeof request.received.address;
  return &request;
}

std::error_code UringPoller::accept_start(int fd, std::uint64_t token) noexcept {
  std::uint32_t index = 0;
  Request* request = acquire_request(token, index);
  if (request == nullptr) {
    return std::make_error_code(std::errc::not_enough_memory);
  }
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_accept(sqe, fd, reinterpret_cast<sockaddr*>(&request->received.address), &request->received.length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, request_user_data(index, kAccept));
  return {};
}

// A recvmsg with MSG_TRUNC: its result is the datagram's whole length, and
// the kernel writes the sender's address length and the flags back into
// the request's msghdr.
std::error_code UringPoller::datagram_start(int fd, std::size_t max_bytes, std::uint64_t token) noexcept {
  std::uint32_t index = 0;
  Request* request = acquire_request(token, index);
  if (request == nullptr) {
    return std::make_error_code(std::errc::not_enough_memory);
  }
  if (request->capacity < max_bytes) {
    std::unique_ptr<char[]> buffer(new (std::nothrow) char[max_bytes]);
    if (!buffer) {
      free_requests_.push_back(index);  // reserved by acquire_request
      return std::make_error_code(std::errc::not_enough_memory);
    }
    request->buffer = std::move(buffer);
    request->capacity = max_bytes;
  }
  request->part = iovec{request->buffer.get(), max_bytes};
  request->message = msghdr{};
  request->message.msg_name = &request->received.address;
  request->message.msg_namelen = sizeof request->received.address;
  request->message.msg_iov = &request->part;
  request->message.msg_iovlen = 1;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recvmsg(sqe, fd, &request->message, MSG_TRUNC);
  io_uring_sqe_set_data64(sqe, request_user_data(index, kDatagram));
  return {};
}

// The accept into the ring's own descriptor table and the close after it
// are linked: the close runs once the accept has finished, and is
// cancelled when it failed. Two sheds at once may share the slot: an
// accept into a taken slot closes what was there, so every shed peer is
// closed either way.
bool UringPoller::shed_start(int fd, std::uint64_t token) noexcept {
  if (!accepts_can_skip_waiting_) {
    return false;
  }
  if (!shed_table_registered_) {
    if (io_uring_register_files_sparse(&ring_, 1) != 0) {
      accepts_can_skip_waiting_ = false;
      return false;
    }
    shed_table_registered_ = true;
  }
  if (io_uring_sq_space_left(&ring_) < 2) {
    (void)submit();  // a link must not be split over two submissions
  }
  io_uring_sqe* accept = next_sqe();
  io_uring_prep_accept_direct(accept, fd, nullptr, nullptr, 0, kShedSlot);
  accept->ioprio |= IORING_ACCEPT_DONTWAIT;
  accept->flags |= IOSQE_IO_LINK;
  io_uring_sqe_set_data64(accept, io_user_data(token, kShed));
  io_uring_sqe* close = next_sqe();
  io_uring_prep_close_direct(close, kShedSlot);
  io_uring_sqe_set_data64(close, kIgnoredUserData);
  return true;
}

// Every submission goes through here: once the kernel has the entries, the
// sendmsg headers they pointed to are free again (IORING_FEAT_SUBMIT_STABLE).
int UringPoller::submit() noexcept {
  const int rc = io_uring_submit(&ring_);
  release_send_headers();
  return rc;
}

void UringPoller::release_send_headers() noexcept {
  if (io_uring_sq_ready(&ring_) == 0) {
    send_headers_used_ = 0;
  }
}

void UringPoller::cancel_all(int fd) noexcept {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(sqe, kIgnoredUserData);
  (void)submit();  // before the caller closes the fd
}

io_uring_sqe* UringPoller::next_sqe() noexcept {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (sqe == nullptr) {
    // The submission queue is full: hand what it holds to the kernel.
    (void)submit();
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

void UringPoller::cancel_armed(int fd, Registration& reg) noexcept {
  if (reg.armed) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_poll_remove(sqe, poll_user_data(fd, reg.generation));
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
  cancel_armed(fd, reg);  // an fd registered twice (a dup of a watched file): the new registration wins, as with epoll
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
  cancel_armed(fd, reg);
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
  cancel_armed(fd, reg);
  reg.registered = false;
  if (was_armed) {
    (void)submit();  // drops the request's hold on the file before the caller closes it
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
    io_uring_sqe_set_data64(sqe, poll_user_data(fd, reg.generation));
    reg.armed = true;
  }
  rearm_.clear();
}

std::error_code UringPoller::wait(std::optional<Duration> timeout, std::vector<ReadyEvent>& ready) {
  // The last batch's requests have been dispatched: what they received is read.
  free_requests_.insert(free_requests_.end(), requests_done_.begin(), requests_done_.end());
  requests_done_.clear();
  arm_queued();
  int rc = 0;
  if (io_uring_cq_ready(&ring_) != 0 || (timeout && timeout->count() <= 0)) {
    // Nothing to wait for: completions are there already, or the caller polls.
    rc = submit();
  } else if (timeout) {
    const auto ns = timeout->count();
    __kernel_timespec ts{ns / 1'000'000'000, ns % 1'000'000'000};
    io_uring_cqe* cqe = nullptr;
    rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    release_send_headers();
  } else {
    rc = io_uring_submit_and_wait(&ring_, 1);
    release_send_headers();
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
    switch (cqe->user_data & kKindMask) {
      case kPoll:
        collect_poll(*cqe, ready);
        break;
      case kRecv:
        collect_recv(*cqe);
        break;
      case kSend:
        completed_.push_back(Completion{token_of(cqe->user_data), kSendDone, cqe->res});
        break;
      case kAccept:
        collect_request(*cqe, false);
        break;
      case kDatagram:
        collect_request(*cqe, true);
        break;
      case kShed:
        completed_.push_back(Completion{token_of(cqe->user_data), kShedDone, cqe->res < 0 ? cqe->res : 0});
        break;
      default:
        break;  // a removal's or cancellation's answer
    }
  }
  io_uring_cq_advance(&ring_, seen);
}

void UringPoller::collect_poll(const io_uring_cqe& cqe, std::vector<ReadyEvent>& ready) {
  const auto fd = static_cast<std::size_t>(cqe.user_data >> 32);
  if (fd >= by_fd_.size()) {
    return;
  }
  Registration& reg = by_fd_[fd];
  if (!reg.registered || !same_generation(cqe.user_data, reg.generation)) {
    return;  // a request removed or replaced since it completed
  }
  if ((cqe.flags & IORING_CQE_F_MORE) == 0U) {
    reg.armed = false;
    if (cqe.res < 0) {
      // The kernel refused the poll itself (the fd was closed behind the
      // loop's back, say): report an error once, and poll no more until
      // the owner changes the registration.
      ready.push_back(ReadyEvent{reg.token, kError});
      return;
    }
    queue_arm(static_cast<int>(fd), reg);
  }
  if (cqe.res > 0) {
    ready.push_back(ReadyEvent{reg.token, from_epoll(static_cast<std::uint32_t>(cqe.res))});
  }
}

void UringPoller::collect_request(const io_uring_cqe& cqe, bool datagram) {
  const auto index = static_cast<std::uint32_t>(cqe.user_data >> kKindBits);
  Request& request = *requests_[index];
  requests_done_.push_back(index);  // reserved by acquire_request
  unsigned events = kDatagramDone;
  if (datagram) {
    request.received.length = request.message.msg_namelen;
    request.received.data = request.buffer.get();
    request.received.flags = request.message.msg_flags;
  } else {
    events = kAcceptDone;
    if (!accepts_report_backlog_ || (cqe.flags & IORING_CQE_F_SOCK_NONEMPTY) != 0U) {
      events |= kAcceptMore;
    }
  }
  completed_.push_back(
      Completion{request.token, events, cqe.res, nullptr, cqe.res >= 0 ? &request.received : nullptr});
}

void UringPoller::collect_recv(const io_uring_cqe& cqe) {
  unsigned events = kRecvDone;
  if ((cqe.flags & IORING_CQE_F_MORE) == 0U) {
    events |= kRecvEnded;
  }
  // The blocks leave the ring with their data; fresh ones take their
  // slots. Without one to spare (out of memory) a slot stays empty, and
  // the kernel answers ENOBUFS once every slot is.
  Block* first = nullptr;
  if ((cqe.flags & IORING_CQE_F_BUFFER) != 0U) {
    const auto first_id = static_cast<std::uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    const std::uint16_t position = position_of_[first_id];
    std::size_t left = cqe.res > 0 ? static_cast<std::size_t>(cqe.res) : 0;
    Block* last = nullptr;
    for (std::uint16_t k = 0; k == 0 || left != 0; ++k) {
      const std::uint16_t id = id_at_[static_cast<std::uint16_t>(position + k) & (kRingCapacity - 1)];
      Block* block = provided_[id];
      block->begin = 0;
      block->end = left < block->capacity ? left : block->capacity;
      block->next = nullptr;
      left -= block->end;
      (last != nullptr ? last->next : first) = block;
      last = block;
      try {
        provide(id, pool_->acquire());
      } catch (const std::bad_alloc&) {
        provided_[id] = nullptr;
      }
    }
  }
  completed_.push_back(Completion{token_of(cqe.user_data), events, cqe.res, first});
}

}  // namespace eddy::detail
