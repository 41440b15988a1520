// Socket bufferevents' reads by completion (socket_receiver.hpp).
#include "socket_receiver.hpp"

#include "bufferevent.hpp"
#include "event_base.hpp"
#include "event_fields.hpp"

#include "block.hpp"
#include "loop_core.hpp"
#include "poller/poller.hpp"

#include <algorithm>
#include <cerrno>
#include <new>
#include <system_error>

namespace eddy::compat {

std::unique_ptr<SocketReceiver> SocketReceiver::make(BufferEvent& b, int fd) noexcept {
  event_base* base = b.bev.ev_base;
  if (base == nullptr || fd < 0 || b.lock != nullptr) {
    return nullptr;
  }
  detail::LoopCore& core = base->io_loop.core();
  if (core.completions() == nullptr || !core.on_owner_thread()) {
    return nullptr;
  }
  std::unique_ptr<SocketReceiver> receiver(new (std::nothrow) SocketReceiver(b, core, fd));
  if (receiver == nullptr || core.completion_start_beside(*receiver, "bufferevent_socket_new")) {
    return nullptr;
  }
  return receiver;
}

SocketReceiver::SocketReceiver(BufferEvent& b, detail::LoopCore& core, int fd) noexcept
    : IoHandle(fd, &SocketReceiver::on_ready), b_(b), core_(core) {}

SocketReceiver::~SocketReceiver() {
  core_.io_stop(*this);  // what the receive still brings goes back to the pool
  free_held();
}

void SocketReceiver::free_held() noexcept {
  core_.release_blocks(held_);
  held_ = held_tail_ = nullptr;
  held_bytes_ = 0;
}

void SocketReceiver::want(bool wanted) noexcept {
  wanted_ = wanted;
  sync();
}

// Reading as the readiness path would, where ev_read would be registered
// for the fd, and connected (a connecting socket's refusal is the write
// event's to report).
bool SocketReceiver::reading() const noexcept {
  return wanted_ && !b_.connecting && has_flag(&b_.bev.ev_read, EVLIST_INSERTED);
}

void SocketReceiver::sync() noexcept {
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

void SocketReceiver::on_ready(detail::IoHandle& handle, unsigned) {
  static_cast<SocketReceiver&>(handle).on_completion();
}

void SocketReceiver::on_completion() noexcept {
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
  sync();  // reports what came, or starts again after a cancel
}

IoResult SocketReceiver::take(evbuffer& input, std::size_t most) noexcept {
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

}  // namespace eddy::compat
