// An evbuffer's chains: adding, draining and moving bytes, and the change
// callbacks. Room at the end (expand, reserve, pullup) is in
// evbuffer_space.cpp, I/O in evbuffer_io.cpp.
#include "evbuffer.hpp"

#include "event_base.hpp"
#include "evlock.hpp"
#include "mem.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

using eddy::compat::chain_free;
using eddy::compat::chain_free_list;
using eddy::compat::chain_new;
using eddy::compat::chain_space;
using eddy::compat::chain_writable;

// libevent 2.1's offsets on x86-64: what libevent's tests and programs
// that look inside read (evbuffer.hpp says where eddy's layout ends).
static_assert(offsetof(evbuffer, first) == 0);
static_assert(offsetof(evbuffer, last) == 8);
static_assert(offsetof(evbuffer, last_with_datap) == 16);
static_assert(offsetof(evbuffer, total_len) == 24);
static_assert(offsetof(evbuffer, n_add_for_cb) == 32);
static_assert(offsetof(evbuffer, n_del_for_cb) == 40);
static_assert(offsetof(evbuffer, lock) == 48);
static_assert(offsetof(evbuffer, flags) == 60);
static_assert(offsetof(evbuffer, cb_queue) == 64);
static_assert(offsetof(evbuffer, refcnt) == 72);

static_assert(offsetof(evbuffer_chain, next) == 0);
static_assert(offsetof(evbuffer_chain, buffer_len) == 8);
static_assert(offsetof(evbuffer_chain, misalign) == 16);
static_assert(offsetof(evbuffer_chain, off) == 24);
static_assert(offsetof(evbuffer_chain, flags) == 32);
static_assert(offsetof(evbuffer_chain, refcnt) == 36);
static_assert(offsetof(evbuffer_chain, buffer) == 40);

namespace {

// libevent's growth rule for appends: a new chain is twice the size of the
// one before it, up to 4 KiB (EVBUFFER_CHAIN_MAX_AUTO_SIZE), or as big as
// the data.
constexpr std::size_t kMaxAutoChain = 4096;

}  // namespace

evbuffer::~evbuffer() {
  if (deferred_cbs) {
    event_del(deferred_event);
  }
  eddy::compat::mem_delete(deferred_event);
  evbuffer_chain* chains = first;
  first = last = nullptr;
  last_with_datap = &first;
  total_len = 0;
  chain_free_list(chains);
  while (evbuffer_cb_entry* entry = callbacks) {
    callbacks = entry->next;
    eddy::compat::mem_delete(entry);
  }
  if (own_lock) {
    eddy::compat::lock_delete(lock);
  }
}

void evbuffer::link_at_end(evbuffer_chain* chain) noexcept {
  chain->next = nullptr;
  if (last != nullptr) {
    last->next = chain;
  } else {
    first = chain;
  }
  last = chain;
}

void evbuffer::free_after(evbuffer_chain* chain) noexcept {
  evbuffer_chain* doomed = chain->next;
  chain->next = nullptr;
  last = chain;
  chain_free_list(doomed);
}

void evbuffer::free_empty_tail() noexcept {
  if (total_len != 0) {
    free_after(*last_with_datap);
    return;
  }
  evbuffer_chain* doomed = first;
  first = last = nullptr;
  last_with_datap = &first;
  chain_free_list(doomed);
}

void evbuffer::free_unwritable_tail() noexcept {
  evbuffer_chain** link = total_len != 0 ? &(*last_with_datap)->next : &first;
  evbuffer_chain* before = total_len != 0 ? *last_with_datap : nullptr;
  while (evbuffer_chain* c = *link) {
    if (chain_writable(c)) {
      before = c;
      link = &c->next;
      continue;
    }
    *link = c->next;
    chain_free(c);
  }
  last = before;
}

void evbuffer::mark_written(evbuffer_chain* chain) noexcept {
  while (*last_with_datap != chain) {
    last_with_datap = &(*last_with_datap)->next;
  }
}

void evbuffer::append_list(evbuffer_chain* head, evbuffer_chain* tail, std::size_t bytes) noexcept {
  free_empty_tail();
  evbuffer_chain** link = last != nullptr ? &last->next : &first;
  *link = head;
  last = tail;
  for (; *link != nullptr; link = &(*link)->next) {
    if ((*link)->off != 0) {
      last_with_datap = link;
    }
  }
  total_len += bytes;
  n_add_for_cb += bytes;
}

void evbuffer::append_chain(evbuffer_chain* chain) noexcept {
  chain->next = nullptr;
  append_list(chain, chain, chain->off);
}

bool evbuffer::append(const void* data, std::size_t n) noexcept {
  if (n == 0) {
    return true;
  }
  if (n > SIZE_MAX - total_len) {
    return false;
  }
  auto* from = static_cast<const unsigned char*>(data);
  evbuffer_chain* c = *last_with_datap;
  if (c != nullptr && chain_space(c) < n && eddy::compat::chain_should_realign(c, n)) {
    eddy::compat::chain_align(c);
  }
  if (c != nullptr && chain_space(c) < n) {
    free_unwritable_tail();
    c = *last_with_datap;
    if (c != nullptr && chain_writable(c) && c->off == 0) {
      c->misalign = 0;  // an empty chain: all its room at the end
    }
  }
  // A chain of the size the growth rule asks for, allocated before anything
  // is copied so that a failure adds nothing.
  std::size_t room = 0;
  for (evbuffer_chain* x = c; x != nullptr; x = x->next) {
    room += chain_space(x);
  }
  evbuffer_chain* extra = nullptr;
  if (room < n) {
    std::size_t want = c != nullptr ? c->buffer_len : 0;
    if (want <= kMaxAutoChain / 2) {
      want *= 2;
    }
    extra = chain_new(std::max(want, n - room));
    if (extra == nullptr) {
      return false;
    }
    link_at_end(extra);
    if (c == nullptr) {
      c = extra;
    }
  }
  evbuffer_chain* written = nullptr;
  for (std::size_t left = n; left != 0; c = c->next) {
    const std::size_t k = std::min(left, chain_space(c));
    if (k != 0) {
      std::memcpy(eddy::compat::chain_space_ptr(c), from, k);
      c->off += k;
      from += k;
      left -= k;
      written = c;
    }
  }
  mark_written(written);
  total_len += n;
  n_add_for_cb += n;
  return true;
}

bool evbuffer::prepend(const void* data, std::size_t n) noexcept {
  if (n == 0) {
    return true;
  }
  if (n > SIZE_MAX - total_len) {
    return false;
  }
  auto* from = static_cast<const unsigned char*>(data);
  evbuffer_chain* c = first;
  std::size_t in_front = 0;  // what fits in the first chain's misalignment
  if (c != nullptr && chain_writable(c)) {
    in_front = c->off == 0 ? c->buffer_len : static_cast<std::size_t>(c->misalign);
    in_front = std::min(in_front, n);
  }
  evbuffer_chain* fresh = nullptr;
  if (in_front < n) {
    fresh = chain_new(n - in_front);
    if (fresh == nullptr) {
      return false;
    }
  }
  if (in_front != 0) {
    if (c->off == 0) {
      c->misalign = static_cast<ev_off_t>(c->buffer_len);  // empty: all room at the front
    }
    c->misalign -= static_cast<ev_off_t>(in_front);
    c->off += in_front;
    std::memcpy(c->buffer + c->misalign, from + n - in_front, in_front);
  }
  if (fresh != nullptr) {
    // The rest at the end of a new chain, so that later prepends fit in
    // front of it.
    const std::size_t k = n - in_front;
    fresh->misalign = static_cast<ev_off_t>(fresh->buffer_len - k);
    fresh->off = k;
    std::memcpy(fresh->buffer + fresh->misalign, from, k);
    fresh->next = first;
    if (first == nullptr) {
      last = fresh;
    }
    if (last_with_datap == &first && first != nullptr && first->off != 0) {
      last_with_datap = &fresh->next;
    }
    first = fresh;
  }
  total_len += n;
  n_add_for_cb += n;
  return true;
}

void evbuffer::drain(std::size_t n) noexcept {
  n = std::min(n, total_len);
  if (n == 0) {
    return;
  }
  n_del_for_cb += n;
  if (n == total_len) {
    total_len = 0;
    if (first == last) {
      // One chain (a short message written out): no list to walk.
      evbuffer_chain* only = first;
      first = last = nullptr;
      last_with_datap = &first;
      eddy::compat::chain_free(only);
      return;
    }
    free_empty_tail();  // nothing left: every chain goes
    return;
  }
  total_len -= n;
  while (n != 0) {
    evbuffer_chain* c = first;
    if (c->off > n) {
      c->misalign += static_cast<ev_off_t>(n);
      c->off -= n;
      return;
    }
    n -= c->off;
    first = c->next;
    if (last_with_datap == &c->next) {
      last_with_datap = &first;
    }
    chain_free(c);
  }
}

evbuffer_chain* evbuffer::detach_data(evbuffer_chain*& tail, evbuffer_chain**& tail_link, std::size_t& bytes) noexcept {
  evbuffer_chain* head = first;
  tail_link = last_with_datap;
  tail = *last_with_datap;
  bytes = total_len;
  // The empty tail (room reserved here) stays.
  first = tail->next;
  if (first == nullptr) {
    last = nullptr;
  }
  tail->next = nullptr;
  last_with_datap = &first;
  total_len = 0;
  n_del_for_cb += bytes;
  return head;
}

void evbuffer::take_all(evbuffer& from) noexcept {
  if (from.total_len == 0) {
    return;
  }
  if (first == nullptr && (*from.last_with_datap)->next == nullptr) {
    // An echo's move: nothing here, no empty tail there. The chains and
    // the link to the last one with bytes change hands as they are.
    first = from.first;
    last = from.last;
    last_with_datap = from.last_with_datap == &from.first ? &first : from.last_with_datap;
    total_len = from.total_len;
    n_add_for_cb += from.total_len;
    from.n_del_for_cb += from.total_len;
    from.first = from.last = nullptr;
    from.last_with_datap = &from.first;
    from.total_len = 0;
    return;
  }
  evbuffer_chain* tail;
  evbuffer_chain** tail_link;
  std::size_t bytes;
  evbuffer_chain* head = from.detach_data(tail, tail_link, bytes);
  free_empty_tail();
  evbuffer_chain** link = last != nullptr ? &last->next : &first;
  *link = head;
  last = tail;
  // The link to the last chain with bytes moved with the chains, unless it
  // was from.first.
  last_with_datap = tail_link == &from.first ? link : tail_link;
  total_len += bytes;
  n_add_for_cb += bytes;
}

void evbuffer::take_all_at_front(evbuffer& from) noexcept {
  if (from.total_len == 0) {
    return;
  }
  evbuffer_chain* tail;
  evbuffer_chain** tail_link;
  std::size_t bytes;
  evbuffer_chain* head = from.detach_data(tail, tail_link, bytes);
  tail->next = first;
  if (first == nullptr) {
    last = tail;
  }
  if (total_len == 0) {
    last_with_datap = tail_link == &from.first ? &first : tail_link;
  } else if (last_with_datap == &first) {
    last_with_datap = &tail->next;
  }
  first = head;
  total_len += bytes;
  n_add_for_cb += bytes;
}

std::size_t evbuffer::move_front(evbuffer& to, std::size_t n) noexcept {
  n = std::min(n, total_len);
  if (n == total_len) {
    to.take_all(*this);
    return n;
  }
  // Whole chains, relinked.
  evbuffer_chain* head = first;
  evbuffer_chain* tail = nullptr;
  std::size_t moved = 0;
  while (moved < n && first->off <= n - moved) {
    tail = first;
    moved += tail->off;
    first = tail->next;
    if (last_with_datap == &tail->next) {
      last_with_datap = &first;
    }
  }
  if (tail != nullptr) {
    tail->next = nullptr;
    total_len -= moved;
    n_del_for_cb += moved;
    to.append_list(head, tail, moved);
  }
  // Then part of the next chain, copied.
  const std::size_t part = n - moved;
  if (part != 0) {
    const unsigned char* data = eddy::compat::chain_data(first);
    if (data == nullptr || !to.append(data, part)) {
      return moved;
    }
    drain(part);
  }
  return n;
}

void evbuffer::report_change() noexcept {
  if (n_add_for_cb == 0 && n_del_for_cb == 0) {
    return;
  }
  if (deferred_cbs) {
    event_active_later_(deferred_event, EV_TIMEOUT);
    return;
  }
  run_callbacks();
}

void evbuffer::run_callbacks() noexcept {
  // Re-entered when a callback changes the buffer: that change is reported
  // at once, with its own counts, as libevent does.
  if (n_add_for_cb == 0 && n_del_for_cb == 0) {
    return;
  }
  const evbuffer_cb_info info{total_len - n_add_for_cb + n_del_for_cb, n_add_for_cb, n_del_for_cb};
  n_add_for_cb = 0;
  n_del_for_cb = 0;
  evbuffer_cb_entry* only = callbacks;
  if (only != nullptr && only->next == nullptr && only->callback != nullptr) {
    // A bufferevent's output: one callback of the new kind, no list to walk.
    if ((only->flags & EVBUFFER_CB_ENABLED) != 0) {
      only->callback(this, &info, only->arg);
    }
    return;
  }
  run_callback_list(info);
}

// Out of line: walking a list across calls takes a frame the one-callback
// case does without.
[[gnu::noinline]] void evbuffer::run_callback_list(const evbuffer_cb_info& info) noexcept {
  const std::size_t new_size = info.orig_size + info.n_added - info.n_deleted;
  for (evbuffer_cb_entry* entry = callbacks; entry != nullptr;) {
    evbuffer_cb_entry* next = entry->next;  // the callback may remove itself
    if ((entry->flags & EVBUFFER_CB_ENABLED) != 0) {
      if (entry->callback != nullptr) {
        entry->callback(this, &info, entry->arg);
      } else {
        entry->obsolete(this, info.orig_size, new_size, entry->arg);
      }
    }
    entry = next;
  }
}
