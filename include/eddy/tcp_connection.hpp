#pragma once

#include <eddy/buffer.hpp>
#include <eddy/clock.hpp>
#include <eddy/close_reason.hpp>
#include <eddy/function.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/timer.hpp>
#include <eddy/unique_fd.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace eddy {

class Loop;
class TcpServer;

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

// A TCP connection: owns its socket, an input and an output Buffer, its
// watcher and its timer.
//
//   peer --> socket --read_from--> input_  --on_data(conn, input)--> user
//   user --write()--> [write-through to the kernel] --rest--> output_ --write_to--> socket
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
// Lifetime. Connections are held by TcpConnection::Ptr. Destroying the Ptr
// of an open connection closes it at once, without on_close: queued output
// is dropped and the peer gets a reset if there was any. Use close() first
// for a graceful end. Destroying it inside one of the connection's own callbacks
// is safe: the object is destroyed when that callback returns. close() and
// abort() may be called from any of its callbacks.
//
// Loop thread only.
class TcpConnection {
 public:
  struct Deleter {
    void operator()(TcpConnection* connection) const noexcept;
  };
  using Ptr = std::unique_ptr<TcpConnection, Deleter>;
  using DataCallback = Function<void(TcpConnection&, Buffer& input)>;
  using DrainedCallback = Function<void(TcpConnection&)>;
  using CloseCallback = Function<void(TcpConnection&, const CloseInfo&)>;

  // Takes a connected socket (made non-blocking here if it is not). Call
  // start() after setting the callbacks.
  static Ptr adopt(Loop& loop, UniqueFd socket, const TcpConnectionOptions& options = {});

  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  void on_data(DataCallback callback) noexcept { on_data_ = std::move(callback); }
  void on_drained(DrainedCallback callback) noexcept { on_drained_ = std::move(callback); }
  void on_close(CloseCallback callback) noexcept { on_close_ = std::move(callback); }

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

  // Adds this connection's traffic to `counters` from now on (nullptr: stop).
  void set_counters(TrafficCounters* counters) noexcept { counters_ = counters; }

  // Reading also pauses by itself above the high watermark; these are for
  // the application's own flow control.
  void pause_reading();
  void resume_reading();

  bool is_open() const noexcept { return state_ == State::kOpen; }
  std::size_t queued_output() const noexcept { return output_.size(); }
  Buffer& input() noexcept { return input_; }
  int fd() const noexcept { return socket_.get(); }
  std::optional<SocketAddress> peer_address() const noexcept;
  Loop& loop() const noexcept { return loop_; }
  const TcpConnectionOptions& options() const noexcept { return options_; }

 private:
  friend class TcpServer;  // its workers own connections through the release hook
  enum class State : unsigned char { kOpen, kClosing, kClosed };
  // Called after on_close by the table that owns the connection (TcpServer):
  // a plain pointer pair, so that ownership costs no allocation.
  using ReleaseHook = void (*)(void* owner, TcpConnection& connection);
  class CallbackScope;

  TcpConnection(Loop& loop, UniqueFd socket, const TcpConnectionOptions& options);
  ~TcpConnection();

  void on_ready(unsigned events);
  void on_timer();
  void handle_readable();
  // Writes queued output until the kernel stops taking it; false after a
  // failure (the connection is then closed).
  bool write_out();
  // write_out() from the loop, then what follows a flush: finishing a
  // close, the deferred FIN, resuming reads and on_drained.
  void flush();
  void after_queueing(bool was_empty);
  void update_interest();
  void arm_timeouts();
  std::optional<TimePoint> next_timeout() const noexcept;
  void finish(CloseReason reason, std::error_code error);
  void fail(std::error_code error);
  void count(std::atomic<std::uint64_t> TrafficCounters::*counter, std::uint64_t n) noexcept {
    if (counters_ != nullptr) {
      TrafficCounters::add(counters_->*counter, n);
    }
  }

  Loop& loop_;
  UniqueFd socket_;
  TcpConnectionOptions options_;
  Buffer input_;
  Buffer output_;
  IoWatcher watcher_;
  Timer timer_;  // timeouts while open; once closed, the zero-delay on_close notification
  DataCallback on_data_;
  DrainedCallback on_drained_;
  CloseCallback on_close_;
  TrafficCounters* counters_ = nullptr;
  ReleaseHook release_hook_ = nullptr;
  void* release_owner_ = nullptr;
  TimePoint last_read_{};
  TimePoint last_write_{};
  CloseInfo close_info_{CloseReason::kLocal, {}};
  State state_ = State::kOpen;
  unsigned char dispatch_depth_ = 0;  // > 0 while a callback of ours is on the stack
  bool destroy_requested_ = false;    // the Ptr was destroyed during a callback
  bool reading_wanted_ = true;        // false after pause_reading()
  bool peer_eof_ = false;
  bool write_shut_ = false;           // shutdown_write() was called; FIN once output is flushed
  bool above_high_ = false;           // reading paused by the watermark
};

}  // namespace eddy
