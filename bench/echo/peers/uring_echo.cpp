// eddy-bench-uring-echo: a hand-written single-threaded io_uring TCP echo
// server, one of the peers that bench/echo/run.sh measures eddy-echo against:
// the completion-based counterpart of bench/echo/epoll_echo.cpp, the second
// "limit".
//
// What it does, and why:
// - One ring, set up with SINGLE_ISSUER | DEFER_TASKRUN (completions are
//   processed only when we wait, no interrupting task work) where the kernel
//   has them (6.1), else with no flags. If the kernel refuses io_uring
//   altogether (too old, disabled by sysctl, seccomp) or lacks the opcodes
//   used here, the server says so and exits 3, so that the runner can skip it.
// - One loop: submit everything queued and wait for at least one completion
//   in one io_uring_enter(), then handle every completion there is.
// - Accepting: one multishot accept, re-armed whenever a completion comes
//   without IORING_CQE_F_MORE; a kernel without multishot accept (before
//   5.19) answers -EINVAL, and from then on one plain accept at a time.
// - A connection has one 64 KiB buffer of its own and exactly one request in
//   flight: recv into the buffer; then send of what came, again for the rest
//   after a short send (MSG_WAITALL asks the kernel to finish the job, but a
//   short send is handled anyway); then the next recv. So a connection is not
//   read while any of its bytes wait to be sent: its backlog is at most one
//   read (64 KiB), under the 1 MiB the readiness-based peers allow. Provided
//   buffers would spare an idle connection its buffer, but a pool shared by
//   all connections lets peers that do not read starve the others; a fixed
//   buffer keeps this server simple and obviously correct.
// - recv of 0 (EOF) or an error, or a failed send: close() right away (the
//   connection has nothing else in flight) and free it.
// - TCP_NODELAY on accepted sockets; SIGPIPE ignored and MSG_NOSIGNAL on
//   sends; SIGINT/SIGTERM are blocked and read from a signalfd with a read
//   request: when it completes, exit 0.
// - EMFILE/ENFILE on accept: accept is re-armed and fails again until an fd
//   frees, the spin bench/echo/epoll_echo.cpp has too.
//
// Usage: eddy-bench-uring-echo [--port N] [--bind ADDR]   (25341, 127.0.0.1)
// Exit codes: 0 after SIGINT/SIGTERM, 1 when it cannot listen or run, 2 bad
// usage, 3 io_uring not available.

#include <liburing.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common.hpp"

namespace {

constexpr const char* kName = "eddy-bench-uring-echo";
constexpr unsigned kRingEntries = 4096;

// user_data of the requests that are not a connection's (a Connection* is
// 8-byte aligned, so never 1 or 2).
constexpr std::uint64_t kAcceptTag = 1;
constexpr std::uint64_t kSignalTag = 2;

struct Connection {
  int fd;
  bool sending;       // the request in flight: send (else recv)
  std::size_t size;   // bytes in buffer (while sending)
  std::size_t sent;   // of which sent
  char buffer[peers::kReadSize];  // not zeroed: only received into
};

io_uring g_ring;
int g_listener = -1;
bool g_multishot_accept = true;

[[noreturn]] void unavailable(const char* what, int error) {
  std::fprintf(stderr, "%s: io_uring is not available here (%s: %s); not running\n", kName, what,
               std::strerror(error));
  std::exit(3);
}

// The next free SQE; when the submission queue is full, submits it first.
io_uring_sqe* next_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&g_ring);
  while (sqe == nullptr) {
    int submitted = io_uring_submit(&g_ring);
    if (submitted < 0 && submitted != -EINTR && submitted != -EAGAIN && submitted != -EBUSY) {
      peers::fail(kName, "io_uring_submit", -submitted);
    }
    sqe = io_uring_get_sqe(&g_ring);
  }
  return sqe;
}

void arm_accept() {
  io_uring_sqe* sqe = next_sqe();
  if (g_multishot_accept) {
    io_uring_prep_multishot_accept(sqe, g_listener, nullptr, nullptr, SOCK_CLOEXEC);
  } else {
    io_uring_prep_accept(sqe, g_listener, nullptr, nullptr, SOCK_CLOEXEC);
  }
  io_uring_sqe_set_data64(sqe, kAcceptTag);
}

void submit_recv(Connection* connection) {
  connection->sending = false;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recv(sqe, connection->fd, connection->buffer, sizeof connection->buffer, 0);
  io_uring_sqe_set_data(sqe, connection);
}

void submit_send(Connection* connection) {
  connection->sending = true;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_send(sqe, connection->fd, connection->buffer + connection->sent,
                     connection->size - connection->sent, MSG_NOSIGNAL | MSG_WAITALL);
  io_uring_sqe_set_data(sqe, connection);
}

void close_connection(Connection* connection) {
  close(connection->fd);
  std::free(connection);
}

void on_accepted(const io_uring_cqe* cqe) {
  if (cqe->res == -EINVAL && g_multishot_accept) {
    g_multishot_accept = false;  // kernel before 5.19
    arm_accept();
    return;
  }
  if ((cqe->flags & IORING_CQE_F_MORE) == 0) {
    arm_accept();  // a plain accept, or a multishot one that ended
  }
  if (cqe->res < 0) {
    return;  // ECONNABORTED, EMFILE, ...: see the top
  }
  const int fd = cqe->res;
  peers::set_nodelay(fd);
  // malloc, not new: the buffer stays untouched until the kernel fills it.
  auto* connection = static_cast<Connection*>(std::malloc(sizeof(Connection)));
  if (connection == nullptr) {
    std::fprintf(stderr, "%s: out of memory\n", kName);
    std::exit(1);
  }
  connection->fd = fd;
  connection->size = 0;
  connection->sent = 0;
  submit_recv(connection);
}

void on_connection(Connection* connection, int result) {
  if (result <= 0) {  // EOF, reset or another error; -EINTR/-EAGAIN are not expected on a blocking socket
    close_connection(connection);
    return;
  }
  if (!connection->sending) {
    connection->size = static_cast<std::size_t>(result);
    connection->sent = 0;
    submit_send(connection);
    return;
  }
  connection->sent += static_cast<std::size_t>(result);
  if (connection->sent < connection->size) {
    submit_send(connection);  // short send: the rest
  } else {
    submit_recv(connection);
  }
}

void setup_ring() {
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int error = io_uring_queue_init_params(kRingEntries, &g_ring, &params);
  if (error == -EINVAL) {  // a kernel before 6.1
    params = io_uring_params{};
    error = io_uring_queue_init_params(kRingEntries, &g_ring, &params);
  }
  if (error < 0) {
    unavailable("io_uring_queue_init", -error);
  }
  if ((params.features & IORING_FEAT_NODROP) == 0) {
    unavailable("IORING_FEAT_NODROP", ENOTSUP);  // before 5.5
  }
  io_uring_probe* probe = io_uring_get_probe_ring(&g_ring);
  if (probe == nullptr) {
    unavailable("io_uring_get_probe_ring", ENOTSUP);  // before 5.6
  }
  for (int opcode : {IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SEND, IORING_OP_READ}) {
    if (!io_uring_opcode_supported(probe, opcode)) {
      unavailable("opcode probe", ENOTSUP);
    }
  }
  io_uring_free_probe(probe);
}

}  // namespace

int main(int argc, char** argv) {
  const peers::Options options = peers::parse_options(kName, argc, argv);
  sockaddr_storage address;
  peers::parse_address(options, address);  // a bad --bind is exit 2, before anything else
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
    peers::fail(kName, "sigprocmask", errno);
  }
  const int sigfd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (sigfd < 0) {
    peers::fail(kName, "signalfd", errno);
  }

  setup_ring();
  g_listener = peers::listen_socket(options, 0);

  signalfd_siginfo siginfo;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_read(sqe, sigfd, &siginfo, sizeof siginfo, 0);
  io_uring_sqe_set_data64(sqe, kSignalTag);
  arm_accept();

  for (;;) {
    int error = io_uring_submit_and_wait(&g_ring, 1);
    if (error < 0 && error != -EINTR && error != -EAGAIN && error != -EBUSY) {
      peers::fail(kName, "io_uring_submit_and_wait", -error);
    }
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&g_ring, head, cqe) {
      ++seen;
      const std::uint64_t tag = io_uring_cqe_get_data64(cqe);
      if (tag == kAcceptTag) {
        on_accepted(cqe);
      } else if (tag == kSignalTag) {
        io_uring_queue_exit(&g_ring);
        return 0;
      } else {
        on_connection(static_cast<Connection*>(io_uring_cqe_get_data(cqe)), cqe->res);
      }
    }
    io_uring_cq_advance(&g_ring, seen);
  }
}
