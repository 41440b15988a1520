#pragma once

#include <eddy/function.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/timer.hpp>
#include <eddy/unique_fd.hpp>

#include <cstddef>
#include <cstdint>
#include <system_error>

namespace eddy {

class Loop;

namespace detail {
struct Completion;
}

struct TcpListenerOptions {
  // SO_REUSEPORT: other sockets with the option set may bind the same port
  // and take a share of its connections, those of any process of the same
  // user included. Off, a second bind fails with EADDRINUSE; loops of one
  // process share a port safely with share() instead.
  bool reuse_port = false;
  int backlog = 4096;       // capped by net.core.somaxconn
  // Connections accepted per readiness before other watchers get a turn
  // (on io_uring's completion path a loop iteration takes one).
  std::size_t accept_batch = 64;
};

// Accepts TCP connections on an IPv4 or IPv6 address.
//
// Sockets are accepted with accept4(SOCK_NONBLOCK | SOCK_CLOEXEC), in
// batches; on the uring backend by an accept request in the ring instead,
// which costs no system call of its own. Running out of file descriptors (EMFILE, ENFILE) does not stop
// it: it keeps one spare descriptor open, and when accept fails for lack of
// descriptors it frees the spare, accepts the waiting peer and closes it at
// once (the peer sees a close instead of waiting in the backlog forever),
// then takes the spare back (on the uring backend, from Linux 6.10, the
// ring accepts the peer into a descriptor of its own and closes it, and the
// spare stays put). Such sheds are counted and logged at most once
// per second (eddy/log.hpp); everyone already connected keeps being served.
//
// Several loops may accept on one listening socket (share()): each new
// connection wakes one of them (kExclusive), and the one that accepts it
// owns it.
//
// on_accept owns the new socket. It may pause() or close() the listener,
// but must not destroy it. Loop thread only.
class TcpListener {
 public:
  using AcceptCallback = Function<void(UniqueFd socket, const SocketAddress& peer)>;

  TcpListener(Loop& loop, AcceptCallback on_accept);
  ~TcpListener();

  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Binds (SO_REUSEADDR always, SO_REUSEPORT on request), listens and starts
  // accepting. Errors name the step: ec.message() is the errno text, and
  // the caller adds the address ("cannot listen on 0.0.0.0:25341: Address
  // already in use").
  std::error_code listen(const SocketAddress& address, const TcpListenerOptions& options = {});

  // Accepts on the socket `first` listens on, from this listener's loop
  // (`first` may belong to another loop and thread, but must not listen()
  // or close() meanwhile). This listener holds a duplicate of the socket:
  // the port stays open until every sharer has closed, and nothing else
  // joins it. Fails with EBADF when `first` is not listening, or with the
  // error of dup or of the backend.
  std::error_code share(const TcpListener& first);

  // Stops and resumes accepting; the socket stays bound, and new peers
  // wait in the kernel's backlog meanwhile. On the uring backend a peer
  // whose accept the kernel was finishing when pause() cancelled it still
  // reaches on_accept, after pause() has returned.
  void pause() noexcept;
  void resume();
  // Closes the listening socket.
  void close() noexcept;

  bool is_listening() const noexcept { return static_cast<bool>(socket_); }
  // The bound address (with the real port after listening on port 0).
  SocketAddress local_address() const noexcept { return local_; }
  std::uint64_t shed_count() const noexcept { return shed_; }

 private:
  std::error_code start_accepting(UniqueFd socket, const SocketAddress& local, const TcpListenerOptions& options);
  std::error_code watch();
  void stop_watching() noexcept;
  void on_watcher(unsigned events);
  void accept_ready(std::size_t limit);
  bool shed_one();
  void reopen_spare_if_lost();
  // The completion path (uring)
  bool on_completions() const noexcept;
  std::error_code arm_accept();
  void rearm_or_retry();
  void on_accept_done(const detail::Completion& done, bool more_waiting);
  void on_shed_done(int result);
  void count_shed();

  Loop& loop_;
  AcceptCallback on_accept_;
  UniqueFd socket_;
  UniqueFd spare_;
  SocketAddress local_;
  TcpListenerOptions options_;
  IoWatcher watcher_;
  Timer retry_timer_;  // when even the spare cannot be reopened: try again shortly instead of spinning
  std::uint64_t shed_ = 0;
  TimePoint last_shed_log_{};
  bool request_in_flight_ = false;  // an accept or a shed, on the completion path
  bool paused_ = false;
};

}  // namespace eddy
