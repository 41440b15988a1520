// The C entry points of evbuffer that add, take and move bytes, and do
// I/O (event2/buffer.h). Searching is in buffer_search_api.cpp, change
// callbacks in buffer_callback_api.cpp.
#include "evbuffer.hpp"

#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <new>

namespace {

// libevent 2.1 reads at most this much in one evbuffer_read().
constexpr int kMaxRead = 4096;

}  // namespace

extern "C" {

struct evbuffer* evbuffer_new(void) { return new (std::nothrow) evbuffer; }

void evbuffer_free(struct evbuffer* buf) { delete buf; }

int evbuffer_enable_locking(struct evbuffer*, void*) { return -1; }
void evbuffer_lock(struct evbuffer*) {}
void evbuffer_unlock(struct evbuffer*) {}

int evbuffer_set_flags(struct evbuffer* buf, ev_uint64_t flags) {
  buf->flags |= flags;
  return 0;
}

int evbuffer_clear_flags(struct evbuffer* buf, ev_uint64_t flags) {
  buf->flags &= ~flags;
  return 0;
}

size_t evbuffer_get_length(const struct evbuffer* buf) { return buf->size(); }

size_t evbuffer_get_contiguous_space(const struct evbuffer* buf) { return buf->bytes.front().size(); }

int evbuffer_expand(struct evbuffer* buf, size_t datlen) {
  try {
    // The space stays reserved at the tail for the next additions.
    buf->bytes.reserve(datlen);
  } catch (const std::bad_alloc&) {
    return -1;
  }
  return 0;
}

int evbuffer_reserve_space(struct evbuffer* buf, ev_ssize_t size, struct evbuffer_iovec* vec, int n_vec) {
  if (n_vec < 1 || size < 0 || buf->frozen_back) {
    return -1;
  }
  try {
    const std::span<char> space = buf->bytes.reserve(static_cast<std::size_t>(size));
    buf->reserved = space.data();
    buf->reserved_size = space.size();
  } catch (const std::bad_alloc&) {
    return -1;
  }
  vec[0].iov_base = buf->reserved;
  vec[0].iov_len = buf->reserved_size;
  return 1;
}

int evbuffer_commit_space(struct evbuffer* buf, struct evbuffer_iovec* vec, int n_vecs) {
  if (buf->frozen_back) {
    return -1;
  }
  if (n_vecs == 0) {
    return 0;
  }
  if (n_vecs != 1 || vec[0].iov_base != buf->reserved || vec[0].iov_len > buf->reserved_size) {
    return -1;
  }
  buf->bytes.commit(vec[0].iov_len);
  buf->reserved = nullptr;
  buf->reserved_size = 0;
  buf->added(vec[0].iov_len);
  buf->changed();
  return 0;
}

int evbuffer_add(struct evbuffer* buf, const void* data, size_t datlen) {
  if (buf->frozen_back) {
    return -1;
  }
  try {
    buf->append(data, datlen);
  } catch (const std::bad_alloc&) {
    return -1;
  }
  buf->changed();
  return 0;
}

size_t evbuffer_add_iovec(struct evbuffer* buf, struct evbuffer_iovec* vec, int n_vec) {
  if (buf->frozen_back) {
    return 0;
  }
  std::size_t total = 0;
  try {
    for (int i = 0; i < n_vec; ++i) {
      buf->append(vec[i].iov_base, vec[i].iov_len);
      total += vec[i].iov_len;
    }
  } catch (const std::bad_alloc&) {
  }
  buf->changed();
  return total;
}

int evbuffer_add_reference(struct evbuffer* outbuf, const void* data, size_t datlen,
                           evbuffer_ref_cleanup_cb cleanupfn, void* cleanupfn_arg) {
  if (outbuf->frozen_back) {
    return -1;
  }
  try {
    outbuf->append_reference(data, datlen, cleanupfn, cleanupfn_arg);
  } catch (const std::bad_alloc&) {
    return -1;
  }
  outbuf->changed();
  return 0;
}

int evbuffer_add_buffer_reference(struct evbuffer* outbuf, struct evbuffer* inbuf) {
  if (outbuf->frozen_back) {
    return -1;
  }
  try {
    inbuf->for_each_segment([&](const char* data, std::size_t size) {
      outbuf->append(data, size);
      return true;
    });
  } catch (const std::bad_alloc&) {
    return -1;
  }
  outbuf->changed();
  return 0;
}

int evbuffer_add_vprintf(struct evbuffer* buf, const char* fmt, va_list ap) {
  if (buf->frozen_back) {
    return -1;
  }
  va_list measure;
  va_copy(measure, ap);
  const int n = std::vsnprintf(nullptr, 0, fmt, measure);
  va_end(measure);
  if (n < 0) {
    return -1;
  }
  try {
    // Formatted straight into the buffer: room for the terminator too.
    const std::span<char> space = buf->bytes.reserve(static_cast<std::size_t>(n) + 1);
    std::vsnprintf(space.data(), static_cast<std::size_t>(n) + 1, fmt, ap);
    buf->bytes.commit(static_cast<std::size_t>(n));
  } catch (const std::bad_alloc&) {
    return -1;
  }
  buf->added(static_cast<std::size_t>(n));
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
  if (buf->frozen_front) {
    return -1;
  }
  try {
    buf->prepend(data, size);
  } catch (const std::bad_alloc&) {
    return -1;
  }
  buf->changed();
  return 0;
}

int evbuffer_drain(struct evbuffer* buf, size_t len) {
  if (buf->frozen_front) {
    return -1;
  }
  buf->drain(len);
  buf->changed();
  return 0;
}

ev_ssize_t evbuffer_copyout(struct evbuffer* buf, void* data_out, size_t datlen) {
  if (buf->frozen_front) {
    return -1;
  }
  return static_cast<ev_ssize_t>(buf->bytes.copy_out(data_out, datlen));
}

ev_ssize_t evbuffer_copyout_from(struct evbuffer* buf, const struct evbuffer_ptr* pos, void* data_out, size_t datlen) {
  const std::size_t from = pos != nullptr ? static_cast<std::size_t>(pos->pos) : 0;
  if (pos != nullptr && (pos->pos < 0 || from > buf->size())) {
    return -1;
  }
  try {
    return static_cast<ev_ssize_t>(buf->copy_range(from, data_out, datlen));
  } catch (const std::bad_alloc&) {
    return -1;
  }
}

int evbuffer_remove(struct evbuffer* buf, void* data, size_t datlen) {
  if (buf->frozen_front) {
    return -1;
  }
  const std::size_t n = buf->bytes.copy_out(data, datlen);
  buf->drain(n);
  buf->changed();
  return static_cast<int>(n);
}

int evbuffer_add_buffer(struct evbuffer* outbuf, struct evbuffer* inbuf) {
  if (outbuf == inbuf || inbuf->size() == 0) {
    return 0;
  }
  if (outbuf->frozen_back || inbuf->frozen_front) {
    return -1;
  }
  outbuf->take_all(*inbuf);
  inbuf->changed();
  outbuf->changed();
  return 0;
}

int evbuffer_prepend_buffer(struct evbuffer* dst, struct evbuffer* src) {
  if (dst == src || src->size() == 0) {
    return 0;
  }
  if (dst->frozen_front || src->frozen_front) {
    return -1;
  }
  // src's bytes then dst's: built in src, then moved back whole.
  const std::size_t n = src->size();
  src->take_all(*dst);
  dst->bytes = std::move(src->bytes);
  dst->references.swap(src->references);
  std::swap(dst->removed, src->removed);
  dst->removed -= static_cast<std::int64_t>(n);
  src->removed += static_cast<std::int64_t>(src->size());
  // Counted as n bytes added to dst and n removed from src.
  dst->n_added = n;
  dst->n_deleted = 0;
  src->n_added = 0;
  src->n_deleted = n;
  src->changed();
  dst->changed();
  return 0;
}

int evbuffer_remove_buffer(struct evbuffer* src, struct evbuffer* dst, size_t datlen) {
  if (src == dst) {
    return -1;
  }
  if (dst->frozen_back || src->frozen_front) {
    return -1;
  }
  if (datlen >= src->size()) {
    const auto n = static_cast<int>(src->size());
    dst->take_all(*src);
    dst->changed();
    src->changed();
    return n;
  }
  // A part: copied, so the blocks stay whole in src.
  std::size_t moved = 0;
  try {
    src->for_each_segment([&](const char* data, std::size_t size) {
      const std::size_t k = std::min(size, datlen - moved);
      dst->append(data, k);
      moved += k;
      return moved < datlen;
    });
  } catch (const std::bad_alloc&) {
  }
  src->drain(moved);
  dst->changed();
  src->changed();
  return static_cast<int>(moved);
}

unsigned char* evbuffer_pullup(struct evbuffer* buf, ev_ssize_t size) {
  const std::size_t n = size < 0 ? buf->size() : static_cast<std::size_t>(size);
  if (n == 0 || n > buf->size()) {
    return nullptr;
  }
  try {
    return reinterpret_cast<unsigned char*>(const_cast<char*>(buf->bytes.contiguous(n).data()));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

int evbuffer_read(struct evbuffer* buffer, evutil_socket_t fd, int howmuch) {
  if (buffer->frozen_back) {
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
  eddy::IoResult result;
  try {
    result = buffer->read_in(fd, static_cast<std::size_t>(howmuch));
  } catch (const std::bad_alloc&) {
    errno = ENOMEM;
    return -1;
  }
  if (result.eof) {
    return 0;
  }
  if (result.error || result.would_block()) {
    errno = result.error ? result.error.value() : EAGAIN;
    return -1;
  }
  buffer->changed();
  return static_cast<int>(result.bytes);
}

int evbuffer_write_atmost(struct evbuffer* buffer, evutil_socket_t fd, ev_ssize_t howmuch) {
  if (buffer->frozen_front) {
    return -1;
  }
  if (howmuch < 0 || static_cast<std::size_t>(howmuch) > buffer->size()) {
    howmuch = static_cast<ev_ssize_t>(buffer->size());
  }
  if (howmuch == 0) {
    return -1;
  }
  const eddy::IoResult result = buffer->write_out(fd, static_cast<std::size_t>(howmuch));
  buffer->changed();
  if (result.error || result.would_block()) {
    errno = result.error ? result.error.value() : EAGAIN;
    return -1;
  }
  return static_cast<int>(result.bytes);
}

int evbuffer_write(struct evbuffer* buffer, evutil_socket_t fd) { return evbuffer_write_atmost(buffer, fd, -1); }

int evbuffer_freeze(struct evbuffer* buf, int at_front) {
  (at_front != 0 ? buf->frozen_front : buf->frozen_back) = true;
  return 0;
}

int evbuffer_unfreeze(struct evbuffer* buf, int at_front) {
  (at_front != 0 ? buf->frozen_front : buf->frozen_back) = false;
  return 0;
}

}  // extern "C"
