#pragma once

#include <eddy/clock.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

namespace eddy {
class BlockPool;
}

namespace eddy::detail {

struct Block;

// What a Completion reports (CompletionIo).
enum CompletionEvents : unsigned {
  kRecvDone = 1U << 8,   // a receive delivered `block` (result > 0) or ended
  kRecvEnded = 1U << 9,  // ... and will deliver no more: started again or over (result <= 0 says why)
  kSendDone = 1U << 10,  // a send finished: result bytes sent, or minus the errno
  kAcceptDone = 1U << 11,  // an accept finished: result the new socket, or minus the errno
  kAcceptMore = 1U << 12,  // ... and more peers may be waiting (always, where the kernel does not say)
  kShedDone = 1U << 13,    // a shed finished: result 0 when it closed a peer, or minus the errno
  kDatagramDone = 1U << 14,  // a datagram receive finished: result its length, or minus the errno
  kCompletionEvents = kRecvDone | kRecvEnded | kSendDone | kAcceptDone | kAcceptMore | kShedDone | kDatagramDone,
};

// What an accept or a datagram receive brings besides its result
// (Completion::received): the peer's address, and for a datagram its
// bytes, as many as fit the capacity asked for (`flags` has MSG_TRUNC
// when the datagram was longer; the result is its whole length).
struct Received {
  sockaddr_storage address;
  socklen_t length;
  const char* data;
  int flags;
};

// One readiness report from the kernel. `token` is whatever was
// registered with the fd; `events` are eddy::IoEvents bits. 16 bytes: a
// wait may return thousands.
struct ReadyEvent {
  std::uint64_t token;
  unsigned events;
};

// One finished request of CompletionIo's: `token` is the one passed with
// it, `events` CompletionEvents, `result` its byte count or minus the
// errno; for a receive `block` the blocks the kernel filled: a chain
// through Block::next, each full but the last, `result` bytes in all; for
// an accept that took a socket or a datagram received, `received`, valid
// until the next wait().
struct Completion {
  std::uint64_t token;
  unsigned events;
  int result = 0;
  Block* block = nullptr;
  const Received* received = nullptr;
};

// Socket I/O by completion, for the backends that have it (uring): the
// kernel reads into blocks of the loop's pool and sends from the caller's
// memory, and each request that wait() saw finish is in completed(). Requests start when the backend next enters the kernel.
class CompletionIo {
 public:
  virtual ~CompletionIo() = default;

  // Reads arrive as kRecvDone events, each with a block of `pool`'s. Call
  // once, before any request; false when the kernel refuses the ring of
  // blocks, and completions are then not to be used.
  virtual bool use_pool(BlockPool& pool) = 0;
  // Starts a receive of up to `max_bytes` on `fd`: kRecvDone events, the
  // last with kRecvEnded (uring: one read, one event with both bits).
  virtual void recv_start(int fd, std::size_t max_bytes, std::uint64_t token) noexcept = 0;
  // Ends the receive started under `token` (its last event says
  // ECANCELED, unless data or EOF ended it first).
  virtual void recv_stop(std::uint64_t token) noexcept = 0;
  // Cancels the receive and the send under `token`, handed to the kernel
  // now, before the caller closes the fd (a request holds the file open),
  // where cancel_all(fd) would end other handles' requests on the fd too.
  // For a handle that is going away: its last events are dropped, and the
  // blocks they bring go back to the pool.
  virtual void cancel_now(std::uint64_t token) noexcept = 0;
  // Sends the `count` pieces (at most kMaxSendParts; the array itself may
  // go once this returns): one kSendDone. Their memory must stay untouched
  // until that event, even if the owner goes away.
  static constexpr std::size_t kMaxSendParts = 16;
  virtual void send_start(int fd, const iovec* parts, std::size_t count, std::uint64_t token) noexcept = 0;
  // Starts an accept on the listening socket `fd`: one kAcceptDone, whose
  // socket (non-blocking, close-on-exec) is the caller's. The kernel may
  // take it in any wait() from now on, even one after cancel_all(fd): a
  // caller that stopped listening must still close what it gets. ENOMEM
  // when the request cannot be recorded.
  virtual std::error_code accept_start(int fd, std::uint64_t token) noexcept = 0;
  // For a process out of descriptors: accepts one peer waiting on `fd`
  // into a descriptor of the ring's own, not of the process, and closes
  // it at once. One kShedDone (EAGAIN: nobody was waiting). False where
  // the kernel cannot (before 6.10, an accept cannot be told not to wait).
  virtual bool shed_start(int fd, std::uint64_t token) noexcept = 0;
  // Receives one datagram on `fd` into memory of the backend's, up to
  // `max_bytes` of it: one kDatagramDone. ENOMEM when that memory cannot
  // be had. Like an accept's, its memory outlives a cancel_all(fd).
  virtual std::error_code datagram_start(int fd, std::size_t max_bytes, std::uint64_t token) noexcept = 0;
  // Cancels every request on `fd` now, before the caller closes it: a
  // request holds the file open (no FIN reaches the peer) while it lives.
  // Each still reports its end (ECANCELED, or what it finished with).
  virtual void cancel_all(int fd) noexcept = 0;
  // Hands the requests started since the last wait() to the kernel now
  // (they go in with the next wait otherwise): for a caller that returns to
  // code expecting the bytes it wrote to be in the kernel already. No
  // system call when there are none.
  virtual void submit_started() noexcept = 0;
  // What the last wait() saw finish, in the kernel's order; the caller
  // clears it once dispatched.
  virtual std::vector<Completion>& completed() noexcept = 0;
};

// The backend interface: readiness from the kernel, nothing else. The loop
// owns the policy (timers, dispatch order, stale-event filtering); a backend
// only registers fds and waits. One file per backend, chosen at run time.
//
// All registrations are level-triggered. At most one registration per fd:
// add() of a registered fd fails with EEXIST.
class Poller {
 public:
  virtual ~Poller() = default;

  virtual std::string_view name() const noexcept = 0;

  virtual std::error_code add(int fd, unsigned events, std::uint64_t token) noexcept = 0;
  virtual std::error_code modify(int fd, unsigned events, std::uint64_t token) noexcept = 0;
  // Unregisters `fd`. Errors are not reported: the fd may already be closed,
  // which removed it from an epoll set by itself.
  virtual void remove(int fd) noexcept = 0;

  // Waits up to `timeout` (forever when empty; zero polls) and appends what
  // is ready to `ready`, which the caller has cleared. EINTR is not an
  // error: it returns with nothing appended.
  virtual std::error_code wait(std::optional<Duration> timeout, std::vector<ReadyEvent>& ready) = 0;

  // The backend's completion-based I/O, or nullptr (epoll, poll; uring on
  // a kernel before 6.3, see uring_poller.cpp).
  virtual CompletionIo* completions() noexcept { return nullptr; }
};

// Builds the backend named `name` ("epoll", "poll" or "uring"); an empty
// name means $EDDY_BACKEND, else "epoll". Where the kernel refuses io_uring
// (or it was not built in), "uring" gives epoll and logs one warning, once
// per process, saying why. Throws std::invalid_argument for an unknown name
// and std::system_error when the kernel refuses (e.g. epoll_create1).
std::unique_ptr<Poller> make_poller(std::string_view name);

}  // namespace eddy::detail
