// Room at the end of an evbuffer (evbuffer_expand, evbuffer_reserve_space
// and evbuffer_commit_space) and contiguous bytes at its front
// (evbuffer_pullup). The rules for when a chain is realigned, copied into a
// bigger one or joined by a new one are libevent 2.1's, since programs and
// libevent's tests see the chains and the extents they are given.
#include "evbuffer.hpp"

#include <algorithm>
#include <cstring>

using eddy::compat::chain_align;
using eddy::compat::chain_data;
using eddy::compat::chain_free;
using eddy::compat::chain_new;
using eddy::compat::chain_should_realign;
using eddy::compat::chain_space;
using eddy::compat::chain_space_ptr;
using eddy::compat::chain_writable;

namespace {

// A chain with this many bytes or fewer is copied into a bigger one rather
// than joined by a second (libevent's MAX_TO_COPY_IN_EXPAND).
constexpr std::size_t kMaxToCopyInExpand = 4096;

}  // namespace

evbuffer_chain* evbuffer::first_with_space() const noexcept {
  evbuffer_chain* c = *last_with_datap;
  if (c != nullptr && chain_space(c) == 0) {
    c = c->next;
  }
  return c;
}

evbuffer_chain* evbuffer::expand_single(std::size_t n) noexcept {
  free_unwritable_tail();
  evbuffer_chain* c = *last_with_datap;
  if (c == nullptr) {
    evbuffer_chain* fresh = chain_new(n);
    if (fresh != nullptr) {
      link_at_end(fresh);
    }
    return fresh;
  }
  if (c->off == 0) {
    // An empty buffer: its first chain will do if it is big enough.
    if (c->buffer_len >= n) {
      c->misalign = 0;
      free_after(c);
      return c;
    }
    evbuffer_chain* fresh = chain_new(n);
    if (fresh == nullptr) {
      return nullptr;
    }
    free_empty_tail();
    link_at_end(fresh);
    return fresh;
  }
  if (chain_space(c) >= n || chain_should_realign(c, n)) {
    if (chain_space(c) < n) {
      chain_align(c);
    }
    free_after(c);
    return c;
  }
  if (evbuffer_chain* next = c->next; next != nullptr && next->buffer_len >= n) {
    next->misalign = 0;
    free_after(next);
    return next;
  }
  if (chain_writable(c) && c->off <= kMaxToCopyInExpand && n <= eddy::compat::kChainMax - c->off) {
    // Few bytes: copied into one chain with room for n more, which
    // replaces this one.
    evbuffer_chain* fresh = chain_new(c->off + n);
    if (fresh == nullptr) {
      return nullptr;
    }
    std::memcpy(fresh->buffer, c->buffer + c->misalign, c->off);
    fresh->off = c->off;
    free_after(c);
    *last_with_datap = fresh;
    last = fresh;
    chain_free(c);
    return fresh;
  }
  evbuffer_chain* fresh = chain_new(n);
  if (fresh == nullptr) {
    return nullptr;
  }
  free_after(c);
  link_at_end(fresh);
  return fresh;
}

bool evbuffer::expand_fast(std::size_t n, int n_vecs) noexcept {
  free_unwritable_tail();
  evbuffer_chain* c = *last_with_datap;
  if (c != nullptr && c->off == 0) {
    c->misalign = 0;
  }
  std::size_t room = 0;
  int used = 0;
  evbuffer_chain* x = first_with_space();
  for (; x != nullptr && used < n_vecs; x = x->next) {
    room += chain_space(x);
    ++used;
  }
  if (room >= n) {
    return true;
  }
  if (x == nullptr && used < n_vecs) {
    // One more chain for what is missing.
    evbuffer_chain* fresh = chain_new(n - room);
    if (fresh == nullptr) {
      return false;
    }
    link_at_end(fresh);
    return true;
  }
  // n_vecs chains are not enough: keep the room in the last chain with
  // bytes, and replace the empty chains after it by one big enough.
  const bool keep = c != nullptr && c->off != 0;
  const std::size_t kept = keep ? chain_space(c) : 0;
  evbuffer_chain* fresh = chain_new(n - kept);
  if (fresh == nullptr) {
    return false;
  }
  free_empty_tail();
  link_at_end(fresh);
  return true;
}

int evbuffer::space_vecs(std::size_t n, iovec* vec, int n_vecs) noexcept {
  int i = 0;
  std::size_t so_far = 0;
  for (evbuffer_chain* x = first_with_space(); x != nullptr && i < n_vecs && (so_far < n || i == 0); x = x->next) {
    vec[i].iov_base = chain_space_ptr(x);
    vec[i].iov_len = chain_space(x);
    so_far += vec[i].iov_len;
    ++i;
  }
  return i;
}

int evbuffer::commit(const iovec* vec, int n_vecs) noexcept {
  if (n_vecs == 0) {
    return 0;
  }
  // One extent in the last chain: what a one-extent reservation gave, which
  // may come after chains that still have room.
  if (n_vecs == 1 && last != nullptr && chain_writable(last) && vec[0].iov_base == chain_space_ptr(last)) {
    if (vec[0].iov_len > chain_space(last)) {
      return -1;
    }
    if (vec[0].iov_len != 0) {
      last->off += vec[0].iov_len;
      total_len += vec[0].iov_len;
      n_add_for_cb += vec[0].iov_len;
      mark_written(last);
    }
    return 0;
  }
  evbuffer_chain* start = first_with_space();
  evbuffer_chain* x = start;
  for (int i = 0; i < n_vecs; ++i, x = x->next) {
    if (x == nullptr || vec[i].iov_base != chain_space_ptr(x) || vec[i].iov_len > chain_space(x)) {
      return -1;
    }
  }
  x = start;
  for (int i = 0; i < n_vecs; ++i, x = x->next) {
    if (vec[i].iov_len != 0) {
      x->off += vec[i].iov_len;
      total_len += vec[i].iov_len;
      n_add_for_cb += vec[i].iov_len;
      mark_written(x);
    }
  }
  return 0;
}

unsigned char* evbuffer::pullup(std::size_t n) noexcept {
  if (n == 0 || n > total_len) {
    return nullptr;
  }
  if (first->off >= n) {
    return chain_data(first);
  }
  // Every chain to be copied from must show its bytes (a file chain may
  // have to be read in), before anything moves.
  std::size_t seen = 0;
  for (evbuffer_chain* x = first; seen < n; x = x->next) {
    if (chain_data(x) == nullptr) {
      return nullptr;
    }
    seen += x->off;
  }
  evbuffer_chain* dst = first;
  if (chain_writable(dst) && dst->buffer_len - static_cast<std::size_t>(dst->misalign) >= n) {
    // Room after the first chain's bytes.
  } else if (chain_writable(dst) && dst->buffer_len >= n) {
    chain_align(dst);
  } else {
    dst = chain_new(n);
    if (dst == nullptr) {
      return nullptr;
    }
    dst->next = first;
    if (last_with_datap == &first) {
      last_with_datap = &dst->next;
    }
    first = dst;
  }
  std::size_t need = n - dst->off;
  while (need != 0) {
    evbuffer_chain* src = dst->next;
    const std::size_t k = std::min(need, src->off);
    std::memcpy(dst->buffer + dst->misalign + dst->off, src->buffer + src->misalign, k);
    dst->off += k;
    need -= k;
    if (k < src->off) {
      src->misalign += static_cast<ev_off_t>(k);
      src->off -= k;
      break;
    }
    // src is used up.
    dst->next = src->next;
    if (last == src) {
      last = dst;
    }
    if (last_with_datap == &dst->next) {
      last_with_datap = &first;  // src was the last with bytes: now dst is
    } else if (last_with_datap == &src->next) {
      last_with_datap = &dst->next;
    }
    chain_free(src);
  }
  return dst->buffer + dst->misalign;
}

std::size_t evbuffer::copy_range(std::size_t offset, void* dest, std::size_t n) noexcept {
  auto* to = static_cast<unsigned char*>(dest);
  std::size_t copied = 0;
  for (evbuffer_chain* c = first; c != nullptr && copied < n; c = c->next) {
    if (offset >= c->off) {
      offset -= c->off;
      continue;
    }
    const unsigned char* data = chain_data(c);
    if (data == nullptr) {
      break;
    }
    const std::size_t k = std::min(c->off - offset, n - copied);
    std::memcpy(to + copied, data + offset, k);
    copied += k;
    offset = 0;
  }
  return copied;
}
