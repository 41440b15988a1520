#include "buffer_blocks.hpp"
#include "connection_setup.hpp"
#include "loop_core.hpp"
#include "sys/error.hpp"
#include "sys/raw_io.hpp"
#include "sys/socket.hpp"

#include <eddy/loop.hpp>
#include <eddy/tcp_connection.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace eddy {

using detail::ConnectionBuffers;
using detail::ConnectionSetup;

// 88 bytes: what each of a server's idle connections costs besides its
// loop's table entries (docs/benchmarks.md, W5). Anything added here is paid
// 10^5 times over; see the union and the bit-fields in the header.
static_assert(sizeof(void*) != 8 || sizeof(TcpConnection) <= 88, "TcpConnection grew: an idle connection costs more");

// Counts the connection's callbacks on the stack. A Ptr destroyed inside
// one only marks the connection (Deleter); the outermost scope deletes it
// once the callback has returned, so nothing below ever runs on freed
// memory. Code after a user callback re-checks state_ before acting. The
// outermost scope also gives back the buffer pair of a connection that has
// nothing in flight: a callback may hold a reference to the input buffer
// until it returns, and not longer.
class TcpConnection::CallbackScope {
 public:
  explicit CallbackScope(TcpConnection& connection) noexcept : connection_(connection) {
    ++connection_.dispatch_depth_;
  }
  ~CallbackScope() {
    if (--connection_.dispatch_depth_ != 0) {
      return;
    }
    if (connection_.destroy_requested_) {
      delete &connection_;
    } else {
      connection_.return_idle_buffers();
    }
  }
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;

 private:
  TcpConnection& connection_;
};

void TcpConnection::Deleter::operator()(TcpConnection* connection) const noexcept {
  if (connection->dispatch_depth_ == 0) {
    delete connection;
    return;
  }
  // Inside one of its callbacks: close now, free when the callback returns.
  // The callbacks stay in place (one of them may be running); the closed
  // state keeps them from being called again.
  connection->destroy_requested_ = true;
  if (connection->state_ != State::kClosed) {
    if (connection->queued_output() != 0) {
      sys::set_reset_on_close(connection->fd());
    }
    connection->state_ = State::kClosed;
    new (&connection->close_error_) std::error_code();
  }
  connection->stop_io();
  connection->loop().core().timer_cancel(connection->timer());
  connection->close_socket();
}

TcpConnection::Ptr TcpConnection::adopt(Loop& loop, UniqueFd socket, const TcpConnectionOptions& options) {
  // A socket of the caller's may be blocking; one a TcpServer accepted
  // (adopt_shared) is not, and saves the fcntl.
  sys::set_nonblocking(socket.get());
  auto setup = std::make_unique<ConnectionSetup>(loop, options);
  Ptr connection = adopt_shared(*setup, std::move(socket));
  connection->owns_setup_ = true;
  setup.release();
  return connection;
}

TcpConnection::Ptr TcpConnection::adopt_shared(ConnectionSetup& setup, UniqueFd socket) {
  if (setup.options.no_delay) {
    sys::set_no_delay(socket.get());
  }
  return Ptr(new TcpConnection(&setup, false, std::move(socket)));
}

TcpConnection::TcpConnection(ConnectionSetup* setup, bool owns_setup, UniqueFd socket)
    : IoHandle(socket.release(), &TcpConnection::on_ready),
      TimerNode(&TcpConnection::on_timer),
      setup_(setup),
      activity_{},
      owns_setup_(owns_setup) {}

TcpConnection::~TcpConnection() {
  stop_io();  // before the socket closes: a registration never outlives its fd
  loop().core().timer_cancel(timer());
  if (io().fd() >= 0 && state_ != State::kClosed && queued_output() != 0) {
    sys::set_reset_on_close(io().fd());
  }
  close_socket();
  if (buffers_ != nullptr) {
    setup_->release_buffers(buffers_);
  }
  if (owns_setup_) {
    delete setup_;
  }
}

Loop& TcpConnection::loop() const noexcept { return setup_->loop; }

const TcpConnectionOptions& TcpConnection::options() const noexcept { return setup_->options; }

std::size_t TcpConnection::queued_output() const noexcept { return buffers_ != nullptr ? buffers_->output.size() : 0; }

Buffer& TcpConnection::input() { return buffers().input; }

ConnectionBuffers& TcpConnection::buffers() {
  if (buffers_ == nullptr) {
    buffers_ = setup_->acquire_buffers();
  }
  return *buffers_;
}

inline void TcpConnection::return_idle_buffers() noexcept {
  if (buffers_ == nullptr) {
    return;
  }
  if (buffers_->input.empty() && buffers_->output.empty()) {
    setup_->release_empty_buffers(std::exchange(buffers_, nullptr));
  } else if (state_ == State::kClosed) {
    setup_->release_buffers(std::exchange(buffers_, nullptr));
  }
}

ConnectionSetup& TcpConnection::own_setup() {
  if (!owns_setup_) {
    setup_ = ConnectionSetup::clone_for(*setup_);
    owns_setup_ = true;
  }
  return *setup_;
}

void TcpConnection::on_data(DataCallback callback) { own_setup().handlers.on_data = std::move(callback); }

void TcpConnection::on_drained(DrainedCallback callback) { own_setup().handlers.on_drained = std::move(callback); }

void TcpConnection::on_close(CloseCallback callback) { own_setup().handlers.on_close = std::move(callback); }

void TcpConnection::set_counters(TrafficCounters* counters) {
  if (counters != setup_->counters) {
    own_setup().counters = counters;
  }
}

void TcpConnection::count(std::atomic<std::uint64_t> TrafficCounters::*counter, std::uint64_t n) noexcept {
  if (setup_->counters != nullptr) {
    TrafficCounters::add(setup_->counters->*counter, n);
  }
}

void TcpConnection::close_socket() noexcept {
  UniqueFd closing(io().fd());
  io().reset_fd(-1);
}

void TcpConnection::start() {
  activity_.last_read = activity_.last_write = loop().now();
  // The completion path where the backend has one, for a connection not
  // yet registered for readiness (a write before start() may have) and
  // whose reads may be a whole block (a smaller read_size asks for smaller
  // reads than the kernel's blocks would give).
  detail::LoopCore& core = setup_->core;
  if (core.completions() != nullptr && !io().is_active() && options().read_size >= BlockPool::kBlockSize) {
    if (std::error_code ec = core.completion_start(io(), "TcpConnection::start")) {
      fail(ec);
      return;
    }
    on_completions_ = true;
  }
  update_interest();
  arm_timeouts();
}

std::optional<SocketAddress> TcpConnection::peer_address() const noexcept { return SocketAddress::peer_of(fd()); }

bool TcpConnection::write(std::string_view data) {
  if (state_ != State::kOpen || write_shut_) {
    return false;
  }
  const bool was_empty = queued_output() == 0;
  if (was_empty && !data.empty() && !sends_on_completion()) {
    // Write-through: nothing is queued, so the kernel may take it all now,
    // straight from the caller's memory, with no copy and no epoll_ctl.
    std::error_code ec;
    const std::size_t sent = sys::send_some(fd(), data.data(), data.size(), ec);
    if (ec) {
      fail(ec);  // reported through on_close from the loop
      return true;
    }
    count(&TrafficCounters::bytes_out, sent);
    data.remove_prefix(sent);
    if (data.empty()) {
      activity_.last_write = loop().now();
      return true;
    }
  }
  buffers().output.append(data);
  after_queueing(was_empty);
  return true;
}

bool TcpConnection::write(Buffer&& data) {
  // The echo's case first, with no call on its way: open, nothing queued,
  // one block, and the kernel takes all of it. Everything else - and what
  // the kernel leaves - goes to write_rest().
  detail::Block* block = data.head_;
  if (state_ == State::kOpen && !write_shut_ && !on_completions_ && queued_output() == 0 && block != nullptr &&
      block == data.tail_ && block->readable() != 0) {
    const std::size_t size = block->readable();
    const long n = sys::send_raw(fd(), block->readable_begin(), size);
    if (n != static_cast<long>(size)) {
      return write_rest(std::move(data), n);
    }
    data.head_ = data.tail_ = nullptr;
    data.size_ = 0;
    data.blocks_ = 0;
    data.free_block(block);
    if (TrafficCounters* counters = setup_->counters) {
      TrafficCounters::add(counters->bytes_out, static_cast<std::uint64_t>(n));
    }
    activity_.last_write = setup_->core.now();
    return true;
  }
  return write_rest(std::move(data), 0);
}

// Out of line so that write()'s fast path needs no frame: inlined, its
// calls made write() save five registers on every message.
[[gnu::noinline]] bool TcpConnection::write_rest(Buffer&& data, long sent) {
  if (sent < 0 && !sys::is_would_block(sent)) {
    fail(sys::make_error(static_cast<int>(-sent)));  // reported through on_close from the loop
    return true;
  }
  // `sent` > 0: write()'s fast path sent part of the one block; < 0 or 0
  // otherwise (the kernel is full, or nothing was tried).
  const bool kernel_full = sent < 0;
  if (sent > 0) {
    const auto n = static_cast<std::size_t>(sent);
    data.head_->begin += n;
    data.size_ -= n;
    count(&TrafficCounters::bytes_out, n);
  }
  if (state_ != State::kOpen || write_shut_) {
    return false;
  }
  if (data.empty()) {
    return true;
  }
  const bool was_empty = queued_output() == 0;
  if (was_empty && !kernel_full && !sends_on_completion()) {
    // Write-through as for bytes, straight from the caller's blocks: an
    // echo sends its input buffer without linking it into the output.
    while (!data.empty()) {
      const long n = data.write_some(fd(), SIZE_MAX);
      if (n <= 0) {
        if (n == 0 || sys::is_would_block(n)) {
          break;  // the socket buffer is full: queue the rest
        }
        fail(sys::make_error(static_cast<int>(-n)));  // reported through on_close from the loop
        return true;
      }
      count(&TrafficCounters::bytes_out, static_cast<std::uint64_t>(n));
    }
    if (data.empty()) {
      activity_.last_write = setup_->core.now();
      return true;
    }
  }
  buffers().output.append(std::move(data));
  after_queueing(was_empty);
  return true;
}

void TcpConnection::after_queueing(bool was_empty) {
  if (was_empty) {
    activity_.last_write = loop().now();  // the write timeout counts from when output starts waiting
  }
  if (queued_output() > options().high_watermark) {
    above_high_ = true;
  }
  update_interest();
  arm_timeouts();
}

void TcpConnection::shutdown_write() {
  if (state_ != State::kOpen || write_shut_) {
    return;
  }
  write_shut_ = true;
  if (queued_output() == 0) {
    sys::shutdown_write(fd());
  }
}

void TcpConnection::close() {
  if (state_ != State::kOpen) {
    return;
  }
  state_ = State::kClosing;
  if (queued_output() == 0) {
    finish(CloseReason::kLocal, {});
    return;
  }
  update_interest();
  arm_timeouts();
}

void TcpConnection::abort() {
  if (state_ == State::kClosed) {
    return;
  }
  sys::set_reset_on_close(fd());
  finish(CloseReason::kLocal, {});
}

void TcpConnection::pause_reading() {
  reading_wanted_ = false;
  update_interest();
}

void TcpConnection::resume_reading() {
  reading_wanted_ = true;
  update_interest();
}

void TcpConnection::on_ready(detail::IoHandle& handle, unsigned events) {
  static_cast<TcpConnection&>(handle).handle_ready(events);
}

void TcpConnection::on_timer(detail::TimerNode& node) { static_cast<TcpConnection&>(node).handle_timer(); }

void TcpConnection::handle_ready(unsigned events) {
  CallbackScope scope(*this);
  if ((events & detail::kCompletionEvents) != 0U) {
    handle_completion(events);
    return;
  }
  if ((io().events() & kWritable) != 0U && (events & (kWritable | kError | kHangup)) != 0U) {
    flush();
  }
  if (state_ != State::kClosed && (io().events() & kReadable) != 0U &&
      (events & (kReadable | kError | kHangup)) != 0U) {
    handle_readable();
  }
}

inline void TcpConnection::handle_readable() {
  Buffer& input = buffers().input;
  const long n = input.read_some(fd(), options().read_size);
  if (n > 0) {
    activity_.last_read = setup_->core.now();
    if (TrafficCounters* counters = setup_->counters) {
      TrafficCounters::add(counters->bytes_in, static_cast<std::uint64_t>(n));
      TrafficCounters::add(counters->reads, 1);
    }
    if (DataCallback& on_data = setup_->handler(&Handlers::on_data)) {
      on_data(*this, input);  // may write, close, or destroy the Ptr (see CallbackScope)
    }
    return;
  }
  if (n == 0) {
    peer_eof_ = true;
    if (queued_output() == 0) {
      finish(CloseReason::kEof, {});
    } else {
      update_interest();  // stop reading; flush() finishes with kEof once output is out
    }
    return;
  }
  if (!sys::is_would_block(n)) {
    fail(sys::make_error(static_cast<int>(-n)));
  }
}

// handle_readable() for the completion path, out of line: inlined there as
// well, it would cost handle_ready() a frame on every readiness event.
void TcpConnection::read_now() { handle_readable(); }

bool TcpConnection::write_out() {
  Buffer& output = buffers_->output;
  while (!output.empty()) {
    const long n = output.write_some(fd(), SIZE_MAX);
    if (n <= 0) {
      if (n == 0 || sys::is_would_block(n)) {
        break;  // the socket buffer is full: wait for writable
      }
      fail(sys::make_error(static_cast<int>(-n)));
      return false;
    }
    activity_.last_write = setup_->core.now();
    count(&TrafficCounters::bytes_out, static_cast<std::uint64_t>(n));
  }
  return true;
}

void TcpConnection::flush() {
  const bool was_above_low = queued_output() > options().low_watermark;
  if (buffers_ != nullptr && !write_out()) {
    return;
  }
  after_output_moved(was_above_low);
}

// What follows output leaving, by write_out() or a send's completion: the
// close or shutdown that waited for it, the watermarks, on_drained.
void TcpConnection::after_output_moved(bool was_above_low) {
  const std::size_t low_watermark = options().low_watermark;
  if (queued_output() == 0) {
    if (state_ == State::kClosing) {
      finish(CloseReason::kLocal, {});
      return;
    }
    if (peer_eof_) {
      finish(CloseReason::kEof, {});
      return;
    }
    if (write_shut_) {
      sys::shutdown_write(fd());
    }
  }
  if (queued_output() <= low_watermark) {
    above_high_ = false;
  }
  update_interest();
  if (was_above_low && queued_output() <= low_watermark && state_ == State::kOpen) {
    if (DrainedCallback& on_drained = setup_->handler(&Handlers::on_drained)) {
      on_drained(*this);
    }
  }
}

// On the completion path a write from one of the loop's callbacks is sent
// by a request that goes in with the loop's next wait, a moment later, with
// no system call of its own. Outside the loop's callbacks there is no such
// moment to wait for: the bytes go to the kernel inside write(), as on the
// readiness path.
bool TcpConnection::sends_on_completion() const noexcept { return on_completions_ && setup_->core.running(); }

bool TcpConnection::reading_allowed() const noexcept {
  return state_ == State::kOpen && reading_wanted_ && !above_high_;
}

void TcpConnection::update_interest() {
  if (state_ == State::kClosed) {
    return;
  }
  if (on_completions_) {
    update_requests();
    return;
  }
  unsigned wanted = kNone;
  if (reading_allowed() && !peer_eof_) {
    wanted |= kReadable;
  }
  if (queued_output() != 0) {
    wanted |= kWritable;
  }
  if (wanted == io().events()) {
    return;
  }
  const bool resumes_reading = (wanted & kReadable) != 0U && (io().events() & kReadable) == 0U;
  if (std::error_code ec = loop().core().io_start(io(), wanted)) {
    finish(CloseReason::kError, ec);
    return;
  }
  if (resumes_reading) {
    // A pause does not count against the read timeout: it restarts now.
    activity_.last_read = loop().now();
    arm_timeouts();
  }
}

std::optional<TimePoint> TcpConnection::next_timeout() const noexcept {
  const TcpConnectionOptions& o = options();
  std::optional<TimePoint> next;
  const auto consider = [&next](TimePoint candidate) {
    if (!next || candidate < *next) {
      next = candidate;
    }
  };
  const bool reading = on_completions_ ? recv_armed_ && !recv_stopping_ : (io().events() & kReadable) != 0U;
  if (o.read_timeout > Duration::zero() && reading) {
    consider(activity_.last_read + o.read_timeout);
  }
  if (o.write_timeout > Duration::zero() && queued_output() != 0) {
    consider(activity_.last_write + o.write_timeout);
  }
  if (o.idle_timeout > Duration::zero()) {
    consider(std::max(activity_.last_read, activity_.last_write) + o.idle_timeout);
  }
  return next;
}

void TcpConnection::arm_timeouts() {
  // Activity only moves deadlines later, and reads and writes merely store
  // a timestamp: the timer is touched when it fires (and re-armed for the
  // real deadline) or when a nearer deadline appears, never per read.
  if (state_ == State::kClosed) {
    return;
  }
  const std::optional<TimePoint> next = next_timeout();
  if (next && (!timer().is_active() || *next < timer().due())) {
    schedule_timer(*next);
  }
}

void TcpConnection::schedule_timer(TimePoint deadline) {
  // `deadline` is on the loop's cached clock, which may be behind when this
  // runs outside the loop (start() before run()): the wait is measured from
  // the real clock, as Timer::start() does, so that it never ends early.
  loop().core().timer_schedule(timer(), Clock::now() + (deadline - loop().now()));
}

void TcpConnection::handle_timer() {
  CallbackScope scope(*this);
  if (state_ == State::kClosed) {
    if (CloseCallback& on_close = setup_->handler(&Handlers::on_close)) {
      const CloseInfo info{close_reason_, close_error_};
      on_close(*this, info);
    }
    if (setup_->release_hook != nullptr && !destroy_requested_) {
      setup_->release_hook(setup_->release_owner, *this);  // the owner drops its Ptr: freed when this scope ends
    }
    return;
  }
  if (input_held_ && reading_allowed()) {
    deliver_held_input();  // the completion path's data that waited for reading to be wanted
    if (state_ == State::kClosed) {
      return;
    }
  }
  const std::optional<TimePoint> next = next_timeout();
  if (!next) {
    return;
  }
  if (*next <= loop().now()) {
    finish(CloseReason::kTimeout, {});
    return;
  }
  schedule_timer(*next);
}

void TcpConnection::fail(std::error_code error) {
  const bool reset = error == std::errc::connection_reset || error == std::errc::broken_pipe;
  finish(reset ? CloseReason::kReset : CloseReason::kError, error);
}

void TcpConnection::finish(CloseReason reason, std::error_code error) {
  if (state_ == State::kClosed) {
    return;
  }
  state_ = State::kClosed;
  close_reason_ = reason;
  new (&close_error_) std::error_code(error);  // the timestamps are over
  stop_io();
  close_socket();
  // The input stays until the callbacks on the stack return: an on_data
  // caller may still be reading it (CallbackScope gives the pair back).
  if (buffers_ != nullptr) {
    buffers_->output.clear();
  }
  // on_close always runs from the loop, never from inside the write() or
  // close() that ended the connection: the caller's stack stays simple.
  loop().core().timer_schedule(timer(), Clock::now());
}

}  // namespace eddy
