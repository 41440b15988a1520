// Socket bufferevents' reads and writes by completion (socket_requests.hpp).
#include "socket_requests.hpp"

#include "bufferevent.hpp"
#include "event_base.hpp"
#include "event_fields.hpp"
#include "rate_limit.hpp"

#include "block.hpp"
#include "loop_core.hpp"
#include "poller/poller.hpp"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <new>
#include <span>
#include <system_error>

namespace eddy::compat {

std::unique_ptr<SocketRequests> SocketRequests::make(BufferEvent& b, int fd) noexcept {
  event_base* base = b.bev.ev_base;
  if (base == nullptr || fd < 0 || b.lock != nullptr) {
    return nullptr;
  }
  detail::LoopCore& core = base->io_loop.core();
  if (core.completions() == nullptr || !core.on_owner_thread()) {
    return nullptr;
  }
  std::unique_ptr<SocketRequests> requests(new (std::nothrow) SocketRequests(b, core, fd));
  if (requests == nullptr || core.completion_start_beside(*requests, "bufferevent_socket_new")) {
    return nullptr;
  }
  return requests;
}

SocketRequests::SocketRequests(BufferEvent& b, detail::LoopCore& core, int fd) noexcept
    : IoHandle(fd, &SocketRequests::on_ready), b_(b), core_(core), in_flight_(core.block_pool()) {}

SocketRequests::~SocketRequests() {
  if (send_in_flight_) {
    // The kernel may still be reading the copy: the loop keeps it until
    // the send's last event.
    try {
      core_.keep_until_sent(core_.token_of(*this), std::move(in_flight_));
    } catch (const std::bad_alloc&) {
      // Leaked rather than freed under the kernel (if even this fails, the
      // process is out of memory twice in a row).
      static_cast<void>(new (std::nothrow) Buffer(std::move(in_flight_)));
    }
  }
  core_.io_stop(*this);  // cancels both requests; what they still bring goes back to the pool
  free_held();
}

void SocketRequests::free_held() noexcept {
  core_.release_blocks(held_);
  held_ = held_tail_ = nullptr;
  held_bytes_ = 0;
}

void SocketRequests::want_reading(bool wanted) noexcept {
  wanted_ = wanted;
  sync_receive();
}

// Reading as the readiness path would, where ev_read would be registered
// for the fd, and connected (a connecting socket's refusal is the write
// event's to report).
bool SocketRequests::reading() const noexcept {
  return wanted_ && !b_.connecting && has_flag(&b_.bev.ev_read, EVLIST_INSERTED);
}

void SocketRequests::sync_receive() noexcept {
  if (!reading()) {
    if (armed_ && !stopping_) {
      core_.completions()->recv_stop(core_.token_of(*this));
      stopping_ = true;
    }
    return;
  }
  if (has_news()) {
    // Held while reading was off, or more than the last callback took.
    b_.bev.ev_base->activate(&b_.bev.ev_read, EV_READ, 1);
    return;
  }
  if (armed_) {
    return;
  }
  // As much as one read may take. The watermark and the rate limit apply
  // when on_readable takes it: they may change while the receive waits,
  // and what is over stays held for the next callback.
  core_.completions()->recv_start(fd(), std::min<std::size_t>(b_.max_read, EV_SSIZE_MAX), core_.token_of(*this));
  armed_ = true;
}

void SocketRequests::on_ready(detail::IoHandle& handle, unsigned events) {
  auto& requests = static_cast<SocketRequests&>(handle);
  // A send's drain runs the output's change callbacks, which may free the
  // bufferevent: held until this completion is dealt with (the last
  // reference then destroys it, and `requests` with it, after we are done).
  const BufferEventHold hold(requests.b_);
  if (!hold.alive()) {
    return;
  }
  if ((events & detail::kSendDone) != 0U) {
    requests.on_sent(requests.core_.completion().result);
  } else {
    requests.on_received();
  }
}

void SocketRequests::on_received() noexcept {
  const detail::Completion& done = core_.completion();
  if ((done.events & detail::kRecvEnded) != 0U) {
    armed_ = false;
    stopping_ = false;
  }
  detail::Block* block = done.block;
  if (block != nullptr && done.result > 0) {
    if (held_ == nullptr) {
      held_ = block;
    } else {
      held_tail_->next = block;
    }
    while (block->next != nullptr) {
      block = block->next;
    }
    held_tail_ = block;
    held_bytes_ += static_cast<std::size_t>(done.result);
  } else {
    core_.release_blocks(block);  // an empty block of a receive that ended without data
    if (done.result == -ENOBUFS) {
      read_directly_ = true;  // the ring ran dry: read the data with read(2), as readiness would
    } else if (done.result < 0 && done.result != -ECANCELED) {
      end_ = done.result;
    } else if (done.result == 0 && (done.events & detail::kRecvEnded) != 0U) {
      end_ = 0;
    }
  }
  sync_receive();  // reports what came, or starts again after a cancel
}

IoResult SocketRequests::take(evbuffer& input, std::size_t most) noexcept {
  IoResult r;
  if (held_bytes_ != 0) {
    while (held_ != nullptr && r.bytes < most) {
      detail::Block* block = held_;
      const std::size_t n = std::min(block->readable(), most - r.bytes);
      if (!input.append(block->readable_begin(), n)) {
        if (r.bytes == 0) {
          r.error = std::make_error_code(std::errc::not_enough_memory);
        }
        break;  // the rest stays held
      }
      block->begin += n;
      r.bytes += n;
      held_bytes_ -= n;
      if (block->empty()) {
        held_ = block->next;
        block->next = nullptr;
        core_.release_blocks(block);
      }
    }
    if (held_ == nullptr) {
      held_tail_ = nullptr;
    }
    return r;
  }
  if (read_directly_) {
    read_directly_ = false;
    return input.read_in(fd(), most);
  }
  if (end_ == 0) {
    r.eof = true;  // and again on every later read, as read(2) would
  } else if (end_ < 0) {
    r.error = std::error_code(-end_, std::generic_category());
    end_ = 0;  // a socket reports its error once; reads after it see the end
  }
  return r;
}

bool SocketRequests::send_output(evbuffer& output, std::size_t most) noexcept {
  if (send_in_flight_ || sent_) {
    return true;  // the rest goes once the send in flight has been taken
  }
  // At most as many blocks as one request takes.
  std::size_t left = std::min({output.size(), most, detail::CompletionIo::kMaxSendParts * BlockPool::kBlockSize});
  std::size_t offset = 0;
  try {
    while (left != 0) {
      const std::size_t want = std::min(left, BlockPool::kBlockSize);
      const std::span<char> room = in_flight_.reserve(want);
      const std::size_t n = output.copy_range(offset, room.data(), std::min(room.size(), want));
      in_flight_.commit(n);
      offset += n;
      left -= n;
    }
  } catch (const std::bad_alloc&) {
    in_flight_.clear();
    return false;
  }
  if (in_flight_.empty()) {
    return true;
  }
  start_send();
  return true;
}

void SocketRequests::probe_writable() noexcept {
  if (!send_in_flight_ && !sent_) {
    start_send();  // nothing to send: it completes with 0 once the ring has taken it
  }
}

void SocketRequests::start_send() noexcept {
  iovec parts[detail::CompletionIo::kMaxSendParts];
  std::size_t count = in_flight_.peek(std::span<iovec>(parts, std::size(parts)));
  if (count == 0) {
    parts[0] = iovec{nullptr, 0};
    count = 1;
  }
  core_.completions()->send_start(fd(), parts, count, core_.token_of(*this));
  send_in_flight_ = true;
}

void SocketRequests::on_sent(int result) noexcept {
  send_in_flight_ = false;
  if (result == -EAGAIN || result == -EINTR) {
    start_send();  // the same bytes again
    return;
  }
  in_flight_.clear();  // what did not go out is still at the output's front
  if (result > 0) {
    // Out of the output now, as a write(2) would have taken it: the rate
    // limit and the output's callbacks see it before any other event of
    // this iteration runs.
    const auto n = static_cast<std::size_t>(result);
    b_.output_buffer.drain(n);
    charge_write(b_, n);
    b_.output_buffer.changed();
  }
  sent_ = true;
  sent_result_ = result;
  if (result == 0 && !probe_ordered_) {
    // A probe (probe_writable): reported once this iteration's completions
    // and readiness events are in, so that a receive completed in the same
    // wait is read first, as readiness orders a socket's read before its
    // write. Another bufferevent's output callback may free this one
    // before then: the task holds a reference (the loop runs its deferred
    // tasks in the same iteration, so the reference is not kept).
    probe_ordered_ = true;
    b_.hold();
    core_.defer([this] {
      BufferEvent& b = b_;
      const BufferEventHold hold(b);
      b.release();  // the task's; `hold` keeps one to the end
      if (!hold.alive()) {
        return;
      }
      probe_ordered_ = false;
      b.bev.ev_base->activate(&b.bev.ev_write, EV_WRITE, 1);
    });
    return;
  }
  b_.bev.ev_base->activate(&b_.bev.ev_write, EV_WRITE, 1);
}

IoResult SocketRequests::take_sent() noexcept {
  IoResult r;
  if (!sent_) {
    return r;
  }
  sent_ = false;
  if (sent_result_ < 0) {
    r.error = std::error_code(-sent_result_, std::generic_category());
  } else {
    r.bytes = static_cast<std::size_t>(sent_result_);
  }
  return r;
}

}  // namespace eddy::compat
