// TcpConnection on the completion path (the uring backend, see
// poller/uring_poller.cpp): a receive delivers a pool block the kernel
// filled, and the output's first blocks are sent by a request of their
// own, one request at a time. The contract is the readiness path's: on_data with
// the input, backpressure by the watermarks, close after the output is
// out, timeouts; these functions are that path's counterparts.
//
//   reading wanted ──> recv_start ──> kRecvDone|kRecvEnded(block) ──> on_data, recv_start
//   not wanted     ──> recv_stop  ──> (blocks already on their way) ... kRecvEnded(ECANCELED)
//   output queued  ──> send_start(first blocks) ──> kSendDone(n) ──> drain n, next blocks
//
// Data that arrives after reading stopped being wanted (paused, above the
// high watermark, closing) was already in flight: it joins the input and
// waits (input_held_) until reading is wanted again, then reaches on_data
// from the connection's timer, not from inside resume_reading().
#include "buffer_blocks.hpp"
#include "connection_setup.hpp"
#include "loop_core.hpp"
#include "sys/error.hpp"

#include <eddy/loop.hpp>
#include <eddy/tcp_connection.hpp>

#include <cerrno>
#include <cstdint>
#include <iterator>
#include <utility>

namespace eddy {

void TcpConnection::handle_completion(unsigned events) {
  const detail::Completion& done = setup_->core.completion();
  if ((events & detail::kSendDone) != 0U) {
    handle_sent(done.result);
  } else {
    handle_received(events, done.block, done.result);
  }
}

void TcpConnection::handle_received(unsigned events, detail::Block* block, int result) {
  const bool ended = (events & detail::kRecvEnded) != 0U;
  if (ended) {
    recv_armed_ = false;
    recv_stopping_ = false;
  }
  if (block != nullptr && block->end == 0) {
    buffers().input.free_block(block);
    block = nullptr;
  }
  if (block != nullptr) {
    Buffer& input = buffers().input;
    const auto received = static_cast<std::size_t>(result);
    while (block != nullptr) {  // the chain the kernel filled, in order
      detail::Block* next = block->next;
      input.push_back(block);
      block = next;
    }
    input.size_ += received;
    activity_.last_read = setup_->core.now();
    if (TrafficCounters* counters = setup_->counters) {
      TrafficCounters::add(counters->bytes_in, received);
      TrafficCounters::add(counters->reads, 1);
    }
    if (!reading_allowed()) {
      input_held_ = true;
    } else if (DataCallback& on_data = setup_->handler(&Handlers::on_data)) {
      on_data(*this, input);  // may write, close, or destroy the Ptr (see CallbackScope)
    }
    if (ended && state_ != State::kClosed) {
      update_interest();  // the receive ended with its data: start the next
    }
    return;
  }
  if (!ended) {
    return;
  }
  if (result == 0) {
    peer_eof_ = true;
    if (input_held_) {
      return;  // the EOF is handled once the held input has been delivered
    }
    if (queued_output() == 0) {
      finish(CloseReason::kEof, {});
    } else {
      update_interest();  // after_output_moved() finishes with kEof once output is out
    }
    return;
  }
  if (result == -ENOBUFS) {
    // Data came while the ring had no block left: more connections had
    // data at once than it holds (2 000 echo clients, say). Read it now,
    // as the readiness path would, rather than ask again and lose the race
    // for the ring to the same crowd.
    if (reading_allowed()) {
      read_now();
    }
    if (state_ != State::kClosed) {
      update_interest();
    }
    return;
  }
  if (result == -ECANCELED) {
    update_interest();  // our recv_stop: start again if wanted since
    return;
  }
  fail(sys::make_error(-result));
}

void TcpConnection::handle_sent(int result) {
  send_in_flight_ = false;
  if (result < 0) {
    if (result == -EAGAIN || result == -EINTR) {
      update_interest();  // sends the same bytes again
      return;
    }
    fail(sys::make_error(-result));
    return;
  }
  const bool was_above_low = queued_output() > options().low_watermark;
  const auto sent = static_cast<std::size_t>(result);
  buffers_->output.drain(sent);
  activity_.last_write = setup_->core.now();
  count(&TrafficCounters::bytes_out, sent);
  after_output_moved(was_above_low);  // starts the next send through update_interest()
}

void TcpConnection::deliver_held_input() {
  input_held_ = false;
  if (buffers_ != nullptr && !buffers_->input.empty()) {
    if (DataCallback& on_data = setup_->handler(&Handlers::on_data)) {
      on_data(*this, buffers_->input);
    }
  }
  if (peer_eof_ && state_ == State::kOpen && !recv_armed_) {
    if (queued_output() == 0) {
      finish(CloseReason::kEof, {});
    } else {
      update_interest();
    }
  }
}

void TcpConnection::update_requests() {
  detail::LoopCore& core = setup_->core;
  const std::uint64_t token = core.token_of(io());
  const bool wanted = reading_allowed() && !peer_eof_;
  if (wanted && !recv_armed_) {
    core.completions()->recv_start(fd(), options().read_size, token);
    recv_armed_ = true;
    // A pause does not count against the read timeout: it restarts now.
    activity_.last_read = loop().now();
    arm_timeouts();
  } else if (!wanted && recv_armed_ && !recv_stopping_) {
    core.completions()->recv_stop(token);
    recv_stopping_ = true;
  }
  if (input_held_ && reading_allowed()) {
    schedule_timer(loop().now());  // handle_timer() delivers it
  }
  if (!send_in_flight_ && queued_output() != 0) {
    start_send();
  }
}

void TcpConnection::start_send() {
  // The output's first blocks, up to kMaxSendParts of them, in one request:
  // a queue of 16 KiB messages goes out in one round trip, not one each.
  iovec parts[detail::CompletionIo::kMaxSendParts];
  std::size_t count = 0;
  for (detail::Block* block = buffers_->output.head_; block != nullptr && count < std::size(parts);
       block = block->next) {
    if (block->readable() != 0) {  // reserve() may leave an empty block
      parts[count++] = iovec{block->readable_begin(), block->readable()};
    }
  }
  detail::LoopCore& core = setup_->core;
  core.completions()->send_start(fd(), parts, count, core.token_of(io()));
  send_in_flight_ = true;
}

void TcpConnection::stop_io() noexcept {
  detail::LoopCore& core = setup_->core;
  if (send_in_flight_ && buffers_ != nullptr) {
    // The kernel may still be reading the output: it stays until the send
    // completes, whatever becomes of this connection.
    Buffer& output = buffers_->output;
    try {
      core.keep_until_sent(core.token_of(io()), std::move(output));
    } catch (const std::bad_alloc&) {
      output.head_ = output.tail_ = nullptr;  // leaked rather than freed under the kernel
      output.size_ = 0;
      output.blocks_ = 0;
    }
  }
  send_in_flight_ = false;
  recv_armed_ = false;
  recv_stopping_ = false;
  core.io_stop(io());
}

}  // namespace eddy
