// The C entry points of evbuffer (event2/buffer.h, event2/buffer_compat.h).
#include "evbuffer.hpp"
#include "event_base.hpp"

#include <event2/thread.h>

#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <vector>

namespace {

// libevent 2.1 reads at most this much in one evbuffer_read().
constexpr int kMaxRead = 4096;

evbuffer_ptr make_ptr(ev_ssize_t pos) noexcept {
  evbuffer_ptr ptr{};
  ptr.pos = pos;
  return ptr;
}

// The buffer's data as iovecs, head first.
std::vector<iovec> segments(const evbuffer& buf) {
  std::vector<iovec> out(buf.bytes.block_count());
  out.resize(buf.bytes.peek(out));
  return out;
}

// Copies n bytes starting `offset` bytes in; returns how many.
std::size_t copy_range(const evbuffer& buf, std::size_t offset, void* dest, std::size_t n) {
  auto* to = static_cast<char*>(dest);
  std::size_t copied = 0;
  for (const iovec& seg : segments(buf)) {
    if (copied == n) {
      break;
    }
    if (offset >= seg.iov_len) {
      offset -= seg.iov_len;
      continue;
    }
    const std::size_t k = std::min(seg.iov_len - offset, n - copied);
    std::memcpy(to + copied, static_cast<const char*>(seg.iov_base) + offset, k);
    copied += k;
    offset = 0;
  }
  return copied;
}

char byte_at(const evbuffer& buf, std::size_t offset) {
  char c = 0;
  copy_range(buf, offset, &c, 1);
  return c;
}

// Finds the end of line at or after `from`: its offset and length, or
// npos. A CRLF may have its LF in the next block; it is found all the same.
std::size_t find_eol(const evbuffer& buf, std::size_t from, evbuffer_eol_style style, std::size_t& eol_len) {
  const eddy::Buffer& b = buf.bytes;
  const std::size_t npos = eddy::Buffer::npos;
  switch (style) {
    case EVBUFFER_EOL_ANY: {
      const std::size_t cr = b.find("\r", from);
      const std::size_t lf = b.find("\n", from);
      const std::size_t at = std::min(cr, lf);
      if (at == npos) {
        return npos;
      }
      std::size_t end = at;
      while (end < b.size()) {
        const char c = byte_at(buf, end);
        if (c != '\r' && c != '\n') {
          break;
        }
        ++end;
      }
      eol_len = end - at;
      return at;
    }
    case EVBUFFER_EOL_CRLF: {
      const std::size_t lf = b.find("\n", from);
      if (lf == npos) {
        return npos;
      }
      if (lf > from && byte_at(buf, lf - 1) == '\r') {
        eol_len = 2;
        return lf - 1;
      }
      eol_len = 1;
      return lf;
    }
    case EVBUFFER_EOL_CRLF_STRICT:
      eol_len = 2;
      return b.find("\r\n", from);
    case EVBUFFER_EOL_LF:
      eol_len = 1;
      return b.find("\n", from);
    case EVBUFFER_EOL_NUL:
      eol_len = 1;
      return b.find(std::string_view("\0", 1), from);
  }
  return npos;
}

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
    for (const iovec& seg : segments(*inbuf)) {
      outbuf->append(seg.iov_base, seg.iov_len);
    }
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
    return static_cast<ev_ssize_t>(copy_range(*buf, from, data_out, datlen));
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
    for (const iovec& seg : segments(*src)) {
      const std::size_t k = std::min(seg.iov_len, datlen - moved);
      dst->append(seg.iov_base, k);
      moved += k;
      if (moved == datlen) {
        break;
      }
    }
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

char* evbuffer_readln(struct evbuffer* buffer, size_t* n_read_out, enum evbuffer_eol_style eol_style) {
  if (buffer->frozen_front) {
    return nullptr;
  }
  std::size_t eol_len = 0;
  const std::size_t at = find_eol(*buffer, 0, eol_style, eol_len);
  if (at == eddy::Buffer::npos) {
    if (n_read_out != nullptr) {
      *n_read_out = 0;
    }
    return nullptr;
  }
  auto* line = static_cast<char*>(std::malloc(at + 1));
  if (line == nullptr) {
    return nullptr;
  }
  buffer->bytes.copy_out(line, at);
  line[at] = '\0';
  // Two changes, as in libevent: the line, then its end of line.
  buffer->drain(at);
  buffer->changed();
  buffer->drain(eol_len);
  buffer->changed();
  if (n_read_out != nullptr) {
    *n_read_out = at;
  }
  return line;
}

char* evbuffer_readline(struct evbuffer* buffer) { return evbuffer_readln(buffer, nullptr, EVBUFFER_EOL_ANY); }

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

int evbuffer_ptr_set(struct evbuffer* buffer, struct evbuffer_ptr* ptr, size_t position, enum evbuffer_ptr_how how) {
  std::size_t target = position;
  if (how == EVBUFFER_PTR_ADD) {
    if (ptr->pos < 0 || position > static_cast<std::size_t>(EV_SSIZE_MAX) - static_cast<std::size_t>(ptr->pos)) {
      return -1;
    }
    target = static_cast<std::size_t>(ptr->pos) + position;
  }
  if (target > buffer->size()) {
    ptr->pos = -1;
    return -1;
  }
  *ptr = make_ptr(static_cast<ev_ssize_t>(target));
  return 0;
}

struct evbuffer_ptr evbuffer_search_range(struct evbuffer* buffer, const char* what, size_t len,
                                          const struct evbuffer_ptr* start, const struct evbuffer_ptr* end) {
  const std::size_t from = start != nullptr ? static_cast<std::size_t>(start->pos) : 0;
  if (start != nullptr && start->pos < 0) {
    return make_ptr(-1);
  }
  const std::size_t at = buffer->bytes.find(std::string_view(what, len), from);
  if (at == eddy::Buffer::npos) {
    return make_ptr(-1);
  }
  if (end != nullptr && at + len > static_cast<std::size_t>(end->pos)) {
    return make_ptr(-1);
  }
  return make_ptr(static_cast<ev_ssize_t>(at));
}

struct evbuffer_ptr evbuffer_search(struct evbuffer* buffer, const char* what, size_t len,
                                    const struct evbuffer_ptr* start) {
  return evbuffer_search_range(buffer, what, len, start, nullptr);
}

struct evbuffer_ptr evbuffer_search_eol(struct evbuffer* buffer, struct evbuffer_ptr* start, size_t* eol_len_out,
                                        enum evbuffer_eol_style eol_style) {
  const std::size_t from = start != nullptr ? static_cast<std::size_t>(start->pos) : 0;
  if (start != nullptr && start->pos < 0) {
    return make_ptr(-1);
  }
  std::size_t eol_len = 0;
  const std::size_t at = find_eol(*buffer, from, eol_style, eol_len);
  if (at == eddy::Buffer::npos) {
    return make_ptr(-1);
  }
  if (eol_len_out != nullptr) {
    *eol_len_out = eol_len;
  }
  return make_ptr(static_cast<ev_ssize_t>(at));
}

int evbuffer_peek(struct evbuffer* buffer, ev_ssize_t len, struct evbuffer_ptr* start_at, struct evbuffer_iovec* vec_out,
                  int n_vec) {
  std::size_t skip = start_at != nullptr ? static_cast<std::size_t>(start_at->pos) : 0;
  if (start_at != nullptr && start_at->pos < 0) {
    return -1;
  }
  std::size_t wanted = len < 0 ? buffer->size() : static_cast<std::size_t>(len);
  int needed = 0;
  for (const iovec& seg : segments(*buffer)) {
    if (len >= 0 && wanted == 0) {
      break;
    }
    if (skip >= seg.iov_len) {
      skip -= seg.iov_len;
      continue;
    }
    // Whole extents, as libevent gives them: the last may run past len.
    if (needed < n_vec) {
      vec_out[needed].iov_base = static_cast<char*>(seg.iov_base) + skip;
      vec_out[needed].iov_len = seg.iov_len - skip;
    }
    ++needed;
    wanted -= std::min(wanted, seg.iov_len - skip);
    skip = 0;
  }
  return needed;
}

struct evbuffer_cb_entry* evbuffer_add_cb(struct evbuffer* buffer, evbuffer_cb_func cb, void* cbarg) {
  auto* entry = new (std::nothrow) evbuffer_cb_entry{buffer->callbacks, cb, nullptr, cbarg, EVBUFFER_CB_ENABLED};
  if (entry != nullptr) {
    buffer->callbacks = entry;
  }
  return entry;
}

int evbuffer_remove_cb_entry(struct evbuffer* buffer, struct evbuffer_cb_entry* ent) {
  for (evbuffer_cb_entry** link = &buffer->callbacks; *link != nullptr; link = &(*link)->next) {
    if (*link == ent) {
      *link = ent->next;
      delete ent;
      return 0;
    }
  }
  return -1;
}

int evbuffer_remove_cb(struct evbuffer* buffer, evbuffer_cb_func cb, void* cbarg) {
  for (evbuffer_cb_entry* entry = buffer->callbacks; entry != nullptr; entry = entry->next) {
    if (entry->callback == cb && entry->arg == cbarg) {
      return evbuffer_remove_cb_entry(buffer, entry);
    }
  }
  return -1;
}

int evbuffer_cb_set_flags(struct evbuffer*, struct evbuffer_cb_entry* cb, ev_uint32_t flags) {
  cb->flags |= flags & EVBUFFER_CB_ENABLED;
  return 0;
}

int evbuffer_cb_clear_flags(struct evbuffer*, struct evbuffer_cb_entry* cb, ev_uint32_t flags) {
  cb->flags &= ~(flags & EVBUFFER_CB_ENABLED);
  return 0;
}

// Suspension only delays callbacks in libevent; here they are not
// suspended (their counts accumulate the same).
void evbuffer_cb_suspend(struct evbuffer*, struct evbuffer_cb_entry*) {}
void evbuffer_cb_unsuspend(struct evbuffer*, struct evbuffer_cb_entry*) {}

int evbuffer_setcb(struct evbuffer* buffer, evbuffer_cb cb, void* cbarg) {
  while (evbuffer_cb_entry* entry = buffer->callbacks) {
    buffer->callbacks = entry->next;
    delete entry;
  }
  if (cb != nullptr) {
    auto* entry = new (std::nothrow) evbuffer_cb_entry{nullptr, nullptr, cb, cbarg, EVBUFFER_CB_ENABLED};
    if (entry == nullptr) {
      return -1;
    }
    buffer->callbacks = entry;
  }
  return 0;
}

unsigned char* evbuffer_find(struct evbuffer* buffer, const unsigned char* what, size_t len) {
  const evbuffer_ptr at = evbuffer_search(buffer, reinterpret_cast<const char*>(what), len, nullptr);
  if (at.pos < 0) {
    return nullptr;
  }
  unsigned char* data = evbuffer_pullup(buffer, static_cast<ev_ssize_t>(static_cast<std::size_t>(at.pos) + len));
  return data == nullptr ? nullptr : data + at.pos;
}

int evbuffer_defer_callbacks(struct evbuffer* buffer, struct event_base* base) {
  if (buffer->deferred) {
    event_del(&buffer->deferred_event);
  }
  event_assign(
      &buffer->deferred_event, base, -1, 0,
      [](evutil_socket_t, short, void* arg) { static_cast<evbuffer*>(arg)->run_callbacks(); }, buffer);
  buffer->deferred = true;
  return 0;
}

int evbuffer_freeze(struct evbuffer* buf, int at_front) {
  (at_front != 0 ? buf->frozen_front : buf->frozen_back) = true;
  return 0;
}

int evbuffer_unfreeze(struct evbuffer* buf, int at_front) {
  (at_front != 0 ? buf->frozen_front : buf->frozen_back) = false;
  return 0;
}

}  // extern "C"
