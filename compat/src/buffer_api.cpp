// The C entry points of evbuffer that add, take and move bytes, and do
// I/O (event2/buffer.h). Searching is in buffer_search_api.cpp, change
// callbacks in buffer_callback_api.cpp, files in evbuffer_file.cpp.
#include "evbuffer.hpp"
#include "evlock.hpp"
#include "mem.hpp"

#include <sys/ioctl.h>

#include <cerrno>
#include <cstdio>
#include <new>

namespace {

// libevent 2.1 reads at most this much in one evbuffer_read().
constexpr int kMaxRead = 4096;

// Reports an I/O result as libevent's calls do: bytes, or -1 with errno.
int io_return(const eddy::IoResult& result) {
  if (result.error || result.would_block()) {
    errno = result.error ? result.error.value() : EAGAIN;
    return -1;
  }
  return static_cast<int>(result.bytes);
}

// evbuffer_add_buffer with the locks held. Out of line: without locks the
// entry point jumps here and needs no frame of its own.
[[gnu::noinline]] int add_buffer_held(evbuffer* outbuf, evbuffer* inbuf) noexcept {
  if (outbuf == inbuf || inbuf->size() == 0) {
    return 0;
  }
  if (outbuf->freeze_end || inbuf->freeze_start) {
    return -1;
  }
  outbuf->take_all(*inbuf);
  inbuf->changed();
  outbuf->changed();
  return 0;
}

}  // namespace

extern "C" {

struct evbuffer* evbuffer_new(void) {
  return eddy::compat::mem_new<evbuffer>();
}

void evbuffer_free(struct evbuffer* buf) { eddy::compat::mem_delete(buf); }

// The buffer's own new lock (lock == nullptr; -1 when the program set no
// lock functions), or the caller's, which the buffer never frees: a
// bufferevent gives its two buffers its own lock this way.
int evbuffer_enable_locking(struct evbuffer* buf, void* lock) {
  if (buf->lock != nullptr) {
    return -1;
  }
  if (lock == nullptr) {
    lock = eddy::compat::lock_new();
    if (lock == nullptr) {
      return -1;
    }
    buf->own_lock = 1;
  } else {
    buf->own_lock = 0;
  }
  buf->lock = lock;
  return 0;
}

void evbuffer_lock(struct evbuffer* buf) { eddy::compat::lock_acquire(buf->lock); }
void evbuffer_unlock(struct evbuffer* buf) { eddy::compat::lock_release(buf->lock); }

int evbuffer_set_flags(struct evbuffer* buf, ev_uint64_t flags) {
  const eddy::compat::LockHeld held(buf->lock);
  buf->flags |= static_cast<ev_uint32_t>(flags);
  return 0;
}

int evbuffer_clear_flags(struct evbuffer* buf, ev_uint64_t flags) {
  const eddy::compat::LockHeld held(buf->lock);
  buf->flags &= ~static_cast<ev_uint32_t>(flags);
  return 0;
}

size_t evbuffer_get_length(const struct evbuffer* buf) {
  if (buf->lock == nullptr) {
    return buf->total_len;  // a read callback's first question: no frame
  }
  const eddy::compat::LockHeld held(buf->lock);
  return buf->total_len;
}

size_t evbuffer_get_contiguous_space(const struct evbuffer* buf) {
  const eddy::compat::LockHeld held(buf->lock);
  return buf->first != nullptr ? buf->first->off : 0;
}

int evbuffer_expand(struct evbuffer* buf, size_t datlen) {
  const eddy::compat::LockHeld held(buf->lock);
  return buf->expand_single(datlen) != nullptr ? 0 : -1;
}

int evbuffer_reserve_space(struct evbuffer* buf, ev_ssize_t size, struct evbuffer_iovec* vec, int n_vec) {
  const eddy::compat::LockHeld held(buf->lock);
  if (n_vec < 1 || size < 0 || buf->freeze_end) {
    return -1;
  }
  const auto n = static_cast<std::size_t>(size);
  if (n_vec == 1) {
    evbuffer_chain* chain = buf->expand_single(n);
    if (chain == nullptr) {
      return -1;
    }
    vec[0].iov_base = eddy::compat::chain_space_ptr(chain);
    vec[0].iov_len = eddy::compat::chain_space(chain);
    return 1;
  }
  if (!buf->expand_fast(n, n_vec)) {
    return -1;
  }
  return buf->space_vecs(n, vec, n_vec);
}

int evbuffer_commit_space(struct evbuffer* buf, struct evbuffer_iovec* vec, int n_vecs) {
  const eddy::compat::LockHeld held(buf->lock);
  if (buf->freeze_end || buf->commit(vec, n_vecs) != 0) {
    return -1;
  }
  buf->changed();
  return 0;
}

int evbuffer_add(struct evbuffer* buf, const void* data, size_t datlen) {
  const eddy::compat::LockHeld held(buf->lock);
  if (buf->freeze_end || !buf->append(data, datlen)) {
    return -1;
  }
  buf->changed();
  return 0;
}

size_t evbuffer_add_iovec(struct evbuffer* buf, struct evbuffer_iovec* vec, int n_vec) {
  const eddy::compat::LockHeld held(buf->lock);
  if (buf->freeze_end) {
    return 0;
  }
  std::size_t total = 0;
  for (int i = 0; i < n_vec; ++i) {
    total += vec[i].iov_len;
  }
  // Room for all of it first, so that the pieces share chains.
  if (!buf->expand_fast(total, 2)) {
    return 0;
  }
  std::size_t added = 0;
  for (int i = 0; i < n_vec && buf->append(vec[i].iov_base, vec[i].iov_len); ++i) {
    added += vec[i].iov_len;
  }
  buf->changed();
  return added;
}

int evbuffer_add_reference(struct evbuffer* outbuf, const void* data, size_t datlen, evbuffer_ref_cleanup_cb cleanupfn,
                           void* cleanupfn_arg) {
  const eddy::compat::LockHeld held(outbuf->lock);
  if (outbuf->freeze_end) {
    return -1;
  }
  evbuffer_chain* chain = eddy::compat::chain_new_header();
  if (chain == nullptr) {
    return -1;
  }
  chain->flags = kChainReference | kChainImmutable;
  chain->buffer = static_cast<unsigned char*>(const_cast<void*>(data));
  chain->buffer_len = datlen;
  chain->off = datlen;
  chain->owner.reference.cleanup = cleanupfn;
  chain->owner.reference.extra = cleanupfn_arg;
  outbuf->append_chain(chain);
  outbuf->changed();
  return 0;
}

int evbuffer_add_buffer_reference(struct evbuffer* outbuf, struct evbuffer* inbuf) {
  const eddy::compat::TwoLocksHeld held(outbuf->lock, inbuf->lock);
  if (outbuf == inbuf || outbuf->freeze_end) {
    return -1;
  }
  // Shares inbuf's chains: each gets a multicast chain in outbuf that shows
  // its bytes and holds a count on it. Chains that are themselves shared or
  // file chains are refused, as libevent refuses them.
  evbuffer_chain* head = nullptr;
  evbuffer_chain** link = &head;
  for (evbuffer_chain* c = inbuf->first; c != nullptr && c->off != 0; c = c->next) {
    evbuffer_chain* m =
        (c->flags & (kChainMulticast | kChainFileSegment)) == 0 ? eddy::compat::chain_new_header() : nullptr;
    if (m == nullptr) {
      eddy::compat::chain_free_list(head);
      return -1;
    }
    m->flags = kChainMulticast | kChainImmutable;
    m->buffer = c->buffer;
    m->buffer_len = c->buffer_len;
    m->misalign = c->misalign;
    m->off = c->off;
    m->owner.parent = c;
    ++c->refcnt;
    *link = m;
    link = &m->next;
  }
  while (evbuffer_chain* m = head) {
    head = m->next;
    outbuf->append_chain(m);
  }
  outbuf->changed();
  return 0;
}

int evbuffer_add_vprintf(struct evbuffer* buf, const char* fmt, va_list ap) {
  const eddy::compat::LockHeld held(buf->lock);
  if (buf->freeze_end) {
    return -1;
  }
  va_list measure;
  va_copy(measure, ap);
  const int n = std::vsnprintf(nullptr, 0, fmt, measure);
  va_end(measure);
  if (n < 0) {
    return -1;
  }
  const auto size = static_cast<std::size_t>(n);
  // Formatted straight into the last chain when it has room for the text
  // and vsnprintf's terminator; else formatted aside and appended, which
  // fills the last chain before starting another.
  evbuffer_chain* c = *buf->last_with_datap;
  if (c != nullptr && eddy::compat::chain_space(c) > size) {
    std::vsnprintf(reinterpret_cast<char*>(eddy::compat::chain_space_ptr(c)), size + 1, fmt, ap);
    const iovec done{eddy::compat::chain_space_ptr(c), size};
    buf->commit(&done, 1);
  } else {
    char on_stack[1024];
    char* text = size < sizeof on_stack ? on_stack : new (std::nothrow) char[size + 1];
    if (text == nullptr) {
      return -1;
    }
    std::vsnprintf(text, size + 1, fmt, ap);
    const bool added = buf->append(text, size);
    if (text != on_stack) {
      delete[] text;
    }
    if (!added) {
      return -1;
    }
    // A zero after the text when there is room, as vsnprintf leaves one in
    // libevent's chains: programs print evbuffer_pullup's result as a
    // string (libevent's own tests do).
    if (evbuffer_chain* end = *buf->last_with_datap; end != nullptr && eddy::compat::chain_space(end) != 0) {
      *eddy::compat::chain_space_ptr(end) = 0;
    }
  }
  buf->changed();
  return n;
}

int evbuffer_add_printf(struct evbuffer* buf, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = evbuffer_add_vprintf(buf, fmt, ap);
  va_end(ap);
  return n;
}

int evbuffer_prepend(struct evbuffer* buf, const void* data, size_t size) {
  const eddy::compat::LockHeld held(buf->lock);
  if (size == 0) {
    return 0;
  }
  if (buf->freeze_start || !buf->prepend(data, size)) {
    return -1;
  }
  buf->changed();
  return 0;
}

int evbuffer_drain(struct evbuffer* buf, size_t len) {
  const eddy::compat::LockHeld held(buf->lock);
  if (buf->freeze_start) {
    return -1;
  }
  buf->drain(len);
  buf->changed();
  return 0;
}

ev_ssize_t evbuffer_copyout_from(struct evbuffer* buf, const struct evbuffer_ptr* pos, void* data_out, size_t datlen) {
  const eddy::compat::LockHeld held(buf->lock);
  const std::size_t from = pos != nullptr ? static_cast<std::size_t>(pos->pos) : 0;
  if (pos != nullptr && (pos->pos < 0 || from > buf->size())) {
    return -1;
  }
  // As libevent: a frozen front cannot be read, even without draining.
  if (buf->freeze_start && from < buf->size() && datlen != 0) {
    return -1;
  }
  return static_cast<ev_ssize_t>(buf->copy_range(from, data_out, datlen));
}

ev_ssize_t evbuffer_copyout(struct evbuffer* buf, void* data_out, size_t datlen) {
  return evbuffer_copyout_from(buf, nullptr, data_out, datlen);
}

int evbuffer_remove(struct evbuffer* buf, void* data, size_t datlen) {
  const eddy::compat::LockHeld held(buf->lock);
  if (buf->freeze_start) {
    return -1;
  }
  const std::size_t n = buf->copy_range(0, data, datlen);
  buf->drain(n);
  buf->changed();
  return static_cast<int>(n);
}

int evbuffer_add_buffer(struct evbuffer* outbuf, struct evbuffer* inbuf) {
  if (outbuf->lock == nullptr && inbuf->lock == nullptr) {
    return add_buffer_held(outbuf, inbuf);
  }
  const eddy::compat::TwoLocksHeld held(outbuf->lock, inbuf->lock);
  return add_buffer_held(outbuf, inbuf);
}

int evbuffer_prepend_buffer(struct evbuffer* dst, struct evbuffer* src) {
  const eddy::compat::TwoLocksHeld held(dst->lock, src->lock);
  if (dst == src || src->size() == 0) {
    return 0;
  }
  if (dst->freeze_start || src->freeze_start) {
    return -1;
  }
  dst->take_all_at_front(*src);
  src->changed();
  dst->changed();
  return 0;
}

int evbuffer_remove_buffer(struct evbuffer* src, struct evbuffer* dst, size_t datlen) {
  const eddy::compat::TwoLocksHeld held(src->lock, dst->lock);
  if (src == dst || datlen == 0) {
    return 0;
  }
  if (dst->freeze_end || src->freeze_start) {
    return -1;
  }
  const std::size_t n = src->move_front(*dst, datlen);
  dst->changed();
  src->changed();
  return static_cast<int>(n);
}

unsigned char* evbuffer_pullup(struct evbuffer* buf, ev_ssize_t size) {
  const eddy::compat::LockHeld held(buf->lock);
  return buf->pullup(size < 0 ? buf->size() : static_cast<std::size_t>(size));
}

int evbuffer_read(struct evbuffer* buffer, evutil_socket_t fd, int howmuch) {
  const eddy::compat::LockHeld held(buffer->lock);
  if (buffer->freeze_end) {
    return -1;
  }
  // As libevent 2.1: at most what the kernel says is waiting, capped.
  int available = 0;
  if (::ioctl(fd, FIONREAD, &available) < 0 || available <= 0 || available > kMaxRead) {
    available = kMaxRead;
  }
  if (howmuch < 0 || howmuch > available) {
    howmuch = available;
  }
  if (howmuch == 0) {
    return 0;
  }
  const eddy::IoResult result = buffer->read_in(fd, static_cast<std::size_t>(howmuch));
  if (result.eof) {
    return 0;
  }
  const int r = io_return(result);
  const int saved = errno;
  buffer->changed();
  errno = saved;
  return r;
}

int evbuffer_write_atmost(struct evbuffer* buffer, evutil_socket_t fd, ev_ssize_t howmuch) {
  const eddy::compat::LockHeld held(buffer->lock);
  if (buffer->freeze_start) {
    return -1;
  }
  if (howmuch < 0 || static_cast<std::size_t>(howmuch) > buffer->size()) {
    howmuch = static_cast<ev_ssize_t>(buffer->size());
  }
  if (howmuch == 0) {
    return -1;
  }
  const eddy::IoResult result = buffer->write_out(fd, static_cast<std::size_t>(howmuch));
  const int r = io_return(result);
  const int saved = errno;
  buffer->changed();
  errno = saved;
  return r;
}

int evbuffer_write(struct evbuffer* buffer, evutil_socket_t fd) { return evbuffer_write_atmost(buffer, fd, -1); }

int evbuffer_freeze(struct evbuffer* buf, int at_front) {
  const eddy::compat::LockHeld held(buf->lock);
  if (at_front != 0) {
    buf->freeze_start = 1;
  } else {
    buf->freeze_end = 1;
  }
  return 0;
}

int evbuffer_unfreeze(struct evbuffer* buf, int at_front) {
  const eddy::compat::LockHeld held(buf->lock);
  if (at_front != 0) {
    buf->freeze_start = 0;
  } else {
    buf->freeze_end = 0;
  }
  return 0;
}

}  // extern "C"
