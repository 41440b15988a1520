#pragma once

#include <eddy/buffer.hpp>
#include <eddy/clock.hpp>
#include <eddy/close_reason.hpp>
#include <eddy/function.hpp>
#include <eddy/io_handle.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/timer_node.hpp>
#include <eddy/unique_fd.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>

namespace eddy {

class Loop;
class TcpServer;

namespace detail {
class ConnectionSetup;
struct ConnectionBuffers;
struct Block;
}  // namespace detail

struct TcpConnectionOptions {
  // Output bytes queued (accepted by write() but not yet by the kernel)
  // above which the connection stops reading from its peer: a peer that
  // sends without reading cannot make us queue without bound.
  std::size_t high_watermark = 1024 * 1024;
  // Reading resumes, and on_drained runs, when queued output falls to this.
  std::size_t low_watermark = 0;
  // Zero disables each. read: no byte arrived for this long while reading.
  // write: output pending and the kernel took no byte for this long.
  // idle: neither direction moved for this long.
  Duration read_timeout{};
  Duration write_timeout{};
  Duration idle_timeout{};
  // Bytes offered to one read(). Blocks come from the loop's pool and only
  // those that receive data are kept, so a large value costs nothing idle.
  std::size_t read_size = 64 * 1024;
  bool no_delay = true;  // TCP_NODELAY: latency matters more than packet count for most servers
};

// Traffic counters that connections add to. One writer (the loop thread of
// the connections that share it), any number of readers: each counter is
// updated with a relaxed load and store, not a locked add.
struct TrafficCounters {
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> reads{0};  // calls of on_data: "messages" for an echo

  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

// A TCP connection: owns its socket, its input and output Buffers, and its
// registration with the loop.
//
//   peer --> socket --read_from--> input  --on_data(conn, input)--> user
//   user --write()--> [write-through to the kernel] --rest--> output --write_to--> socket
//
// write() never blocks: when nothing is queued it sends straight away, and
// only what the kernel does not take is queued. Write interest is
// registered only while output is queued, so an echo costs one read and one
// write per message and no epoll_ctl. Above high_watermark queued bytes the
// connection stops reading from the peer; at low_watermark it resumes and
// calls on_drained.
//
// Callbacks run on the loop's thread:
//   on_data(conn, input)   bytes arrived; consume what you can from `input`,
//                          leave the rest for the next call.
//   on_drained(conn)       queued output fell to low_watermark.
//   on_close(conn, info)   exactly once, when the socket has been closed,
//                          for every reason including close()/abort(). It
//                          runs from the loop, never from inside write() or
//                          close().
//
// Memory. An idle connection is small (88 bytes; docs/tcp.md): its options
// and callbacks are shared with the other connections of its TcpServer, and
// it holds no Buffer while no byte is in flight. Its two Buffers come from
// a free list of its owner's when bytes arrive or wait to be sent, and go
// back once both are empty and its callbacks have returned.
//
// Lifetime. Connections are held by TcpConnection::Ptr. Destroying the Ptr
// of an open connection closes it at once, without on_close: queued output
// is dropped and the peer gets a reset if there was any. Use close() first
// for a graceful end. Destroying it inside one of the connection's own callbacks
// is safe: the object is destroyed when that callback returns. close() and
// abort() may be called from any of its callbacks.
//
// Loop thread only.
//
// The loop's registration (IoHandle) and timer (TimerNode) are private
// bases rather than IoWatcher and Timer members: the loop calls a plain
// function pointer with the base, which is the connection itself, and no
// Function is stored per connection.
class TcpConnection : private detail::IoHandle, private detail::TimerNode {
 public:
  struct Deleter {
    void operator()(TcpConnection* connection) const noexcept;
  };
  using Ptr = std::unique_ptr<TcpConnection, Deleter>;
  using DataCallback = Function<void(TcpConnection&, Buffer& input)>;
  using DrainedCallback = Function<void(TcpConnection&)>;
  using CloseCallback = Function<void(TcpConnection&, const CloseInfo&)>;

  // A connection's three callbacks. A TcpServer keeps one set for all of
  // its connections (TcpServer::on_data() and the others).
  struct Handlers {
    DataCallback on_data;
    DrainedCallback on_drained;
    CloseCallback on_close;
  };

  // Takes a connected socket (made non-blocking here if it is not). Call
  // start() after setting the callbacks.
  static Ptr adopt(Loop& loop, UniqueFd socket, const TcpConnectionOptions& options = {});

  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Set this connection's own callbacks. On a connection of a TcpServer the
  // first such call gives it its own copy of the options (a few hundred
  // bytes); the callbacks it does not set stay the server's, and an empty
  // callback falls back to the server's too. For many connections, set the
  // callbacks on the server instead. Throws std::bad_alloc.
  void on_data(DataCallback callback);
  void on_drained(DrainedCallback callback);
  void on_close(CloseCallback callback);

  // Starts reading and arms the timeouts. If the backend refuses the socket
  // the connection closes with kError (reported through on_close).
  void start();

  // Queues bytes for the peer; never blocks. Returns false, queuing
  // nothing, once the connection is closing or closed.
  bool write(std::string_view data);
  bool write(const void* data, std::size_t size) { return write(std::string_view(static_cast<const char*>(data), size)); }
  // Moves the blocks of `data` to the output: no byte is copied.
  bool write(Buffer&& data);

  // Half-close: sends FIN once queued output has been flushed. Reading goes
  // on until the peer closes.
  void shutdown_write();
  // Graceful close: stops reading, flushes queued output (bounded by
  // write_timeout when set), then closes. on_close reports kLocal.
  void close();
  // Immediate close: drops queued output and sends RST. on_close reports kLocal.
  void abort();

  // Adds this connection's traffic to `counters` from now on, instead of
  // where it went so far (nullptr: nowhere). On a connection of a TcpServer
  // that takes it out of the server's byte and read counts (stats() still
  // counts it as accepted, open and closed), and gives it its own copy of
  // the options, as the callback setters do.
  void set_counters(TrafficCounters* counters);

  // Reading also pauses by itself above the high watermark; these are for
  // the application's own flow control.
  void pause_reading();
  void resume_reading();

  bool is_open() const noexcept { return state_ == State::kOpen; }
  std::size_t queued_output() const noexcept;
  // Bytes read and not consumed yet. The reference is valid until the
  // connection's next event (an idle connection gives its buffers back).
  // Outside a callback, on a connection with nothing in flight, it takes a
  // buffer pair that the connection keeps until its next event: inside
  // on_data, use the buffer it is given.
  Buffer& input();
  int fd() const noexcept { return io().fd(); }  // -1 once closed
  std::optional<SocketAddress> peer_address() const noexcept;
  Loop& loop() const noexcept;
  const TcpConnectionOptions& options() const noexcept;

 private:
  friend class TcpServer;  // its workers own connections through the setup's release hook
  enum class State : std::uint8_t { kOpen, kClosing, kClosed };
  class CallbackScope;

  // Timestamps while the connection is open; the close error once it is
  // closed (the timeouts are over by then). One union: an idle connection's
  // size is what a server with 10^5 of them pays.
  struct Activity {
    TimePoint last_read;
    TimePoint last_write;
  };

  TcpConnection(detail::ConnectionSetup* setup, bool owns_setup, UniqueFd socket);
  ~TcpConnection();

  // adopt() for a connection whose setup its owner keeps (TcpServer), of
  // a socket that is already non-blocking (accept4 with SOCK_NONBLOCK).
  static Ptr adopt_shared(detail::ConnectionSetup& setup, UniqueFd socket);

  static void on_ready(detail::IoHandle& handle, unsigned events);
  static void on_timer(detail::TimerNode& node);
  void handle_ready(unsigned events);
  void handle_timer();
  void handle_readable();
  void read_now();
  void handle_completion(unsigned events);
  void handle_received(unsigned events, detail::Block* block, int result);
  void handle_sent(int result);
  void deliver_held_input();
  void update_requests();
  void start_send();
  void stop_io() noexcept;
  bool reading_allowed() const noexcept;
  bool sends_on_completion() const noexcept;
  // Writes queued output until the kernel stops taking it; false after a
  // failure (the connection is then closed).
  bool write_out();
  // write_out() from the loop, then what follows a flush: finishing a
  // close, the deferred FIN, resuming reads and on_drained.
  void flush();
  void after_output_moved(bool was_above_low);
  // write(Buffer&&) past its one-block fast path; `sent` is what that
  // path's send returned (minus the errno on failure), 0 if it sent nothing.
  bool write_rest(Buffer&& data, long sent);
  void after_queueing(bool was_empty);
  void update_interest();
  void arm_timeouts();
  void schedule_timer(TimePoint deadline);
  std::optional<TimePoint> next_timeout() const noexcept;
  void finish(CloseReason reason, std::error_code error);
  void fail(std::error_code error);
  void close_socket() noexcept;
  detail::ConnectionBuffers& buffers();
  // Gives the buffer pair back when no byte is in flight; from the
  // outermost callback scope only.
  void return_idle_buffers() noexcept;
  detail::ConnectionSetup& own_setup();
  void count(std::atomic<std::uint64_t> TrafficCounters::*counter, std::uint64_t n) noexcept;

  // The socket's registration: its fd is the connection's socket.
  detail::IoHandle& io() noexcept { return *this; }
  const detail::IoHandle& io() const noexcept { return *this; }
  // Timeouts while open; once closed, the zero-delay on_close notification.
  detail::TimerNode& timer() noexcept { return *this; }

  // First: it fits in the tail padding of the TimerNode base.
  std::uint32_t table_index_ = 0;   // the owner's table slot (TcpServer)
  detail::ConnectionSetup* setup_;
  detail::ConnectionBuffers* buffers_ = nullptr;  // nullptr while no byte is in flight
  union {
    Activity activity_;             // while not kClosed
    std::error_code close_error_;   // once kClosed
  };
  State state_ = State::kOpen;
  CloseReason close_reason_ = CloseReason::kLocal;
  std::uint8_t dispatch_depth_ = 0;  // > 0 while a callback of ours is on the stack
  bool owns_setup_ : 1;              // setup_ is this connection's own (adopt, or a setter)
  bool destroy_requested_ : 1 = false;  // the Ptr was destroyed during a callback
  bool reading_wanted_ : 1 = true;      // false after pause_reading()
  bool peer_eof_ : 1 = false;
  bool write_shut_ : 1 = false;         // shutdown_write() was called; FIN once output is flushed
  bool above_high_ : 1 = false;         // reading paused by the watermark
  // The completion path (uring backend): the kernel receives into pool
  // blocks and sends from the output, each reporting back to handle_ready.
  bool on_completions_ : 1 = false;
  bool recv_armed_ : 1 = false;     // a multishot receive is in the kernel (until its ending event)
  bool recv_stopping_ : 1 = false;  // ... and its cancellation was asked for
  bool send_in_flight_ : 1 = false; // a send of the output's first blocks is in the kernel
  bool input_held_ : 1 = false;     // data arrived while reading was not wanted: not yet given to on_data
};

}  // namespace eddy
