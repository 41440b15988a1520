#pragma once

#include "evbuffer_chain.hpp"

#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include <eddy/io_result.hpp>

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

struct bufferevent;

// An evbuffer: libevent 2.1's struct evbuffer, field for field (x86-64,
// built with thread support) from `first` to `refcnt`, since programs and
// libevent's own tests walk its chains. libevent's next field, its 40-byte
// handle for deferred callbacks, is left out (eddy's is deferred_event, made
// when needed): `callbacks` and `parent`, which only libevent's own code
// reads, come 40 bytes earlier than in libevent, then eddy's extra state.
//
//   first -> [data] -> [data] -> [data] -> [empty] -> [empty] -> nullptr
//                                  ^                     ^
//                 *last_with_datap: the last chain       last
//                 with bytes (first when none has any)
//
// - total_len is the sum of the chains' off.
// - Chains after *last_with_datap are empty and writable: room reserved by
//   evbuffer_expand or evbuffer_reserve_space. Every other chain has bytes,
//   except when the buffer is empty.
// - last_with_datap points at the `next` field (or `first`) that points at
//   the last chain with bytes, so appending after it is O(1).
//
// What eddy adds over a chain of bytes, as libevent does: change callbacks,
// told the size before and the bytes added and removed since their previous
// run (n_add_for_cb, n_del_for_cb), run after each change or from a base's
// loop (evbuffer_defer_callbacks, which bufferevents use); freezing either
// end; references, multicast chains and file segments (evbuffer_chain.hpp).
//
// The member functions below keep the chains, the counts and the
// references right; none runs the callbacks (the C entry points do, once
// per call), and none checks freezing.
struct evbuffer {
  evbuffer() = default;
  ~evbuffer();

  evbuffer(const evbuffer&) = delete;
  evbuffer& operator=(const evbuffer&) = delete;

  std::size_t size() const noexcept { return total_len; }

  // Copies bytes in at the end / the front; false when out of memory
  // (nothing is added then).
  bool append(const void* data, std::size_t n) noexcept;
  bool prepend(const void* data, std::size_t n) noexcept;
  // A chain made elsewhere (reference, file), at the end.
  void append_chain(evbuffer_chain* chain) noexcept;
  void drain(std::size_t n) noexcept;
  // Moves all of `from`'s bytes, chains and all, to the end / the front.
  void take_all(evbuffer& from) noexcept;
  void take_all_at_front(evbuffer& from) noexcept;
  // Moves the first n bytes of this buffer to the end of `to`: whole chains
  // relinked, a part of one copied. Returns how many moved.
  std::size_t move_front(evbuffer& to, std::size_t n) noexcept;

  // Room at the end: n contiguous bytes in the last chain (nullptr when out
  // of memory), or n bytes over at most n_vecs chains.
  evbuffer_chain* expand_single(std::size_t n) noexcept;
  bool expand_fast(std::size_t n, int n_vecs) noexcept;
  // The room from the first chain that has some: at most n_vecs extents,
  // stopping once they hold n bytes. Returns how many it filled.
  int space_vecs(std::size_t n, iovec* vec, int n_vecs) noexcept;
  // evbuffer_commit_space: 0, or -1 when vec is not what space_vecs gave.
  int commit(const iovec* vec, int n_vecs) noexcept;
  // The first n bytes made contiguous, or nullptr when out of memory.
  unsigned char* pullup(std::size_t n) noexcept;
  // Copies up to n bytes starting `offset` bytes in; returns how many.
  std::size_t copy_range(std::size_t offset, void* dest, std::size_t n) noexcept;

  // One readv(2) of at most max_bytes into the room at the end (a new
  // chain of up to 64 KiB when there is not enough), counted as additions.
  // Inline for what most reads of short messages are: into an empty buffer.
  eddy::IoResult read_in(int fd, std::size_t max_bytes) noexcept {
    if (first == nullptr && read_offer == 1 && max_bytes != 0) {
      return read_into_fresh_chain(fd, max_bytes);
    }
    return read_into_chains(fd, max_bytes);
  }
  // One gathering write (or a sendfile(2) of a file chain) of at most
  // max_bytes from the front, counted as removals.
  eddy::IoResult write_out(int fd, std::size_t max_bytes) noexcept;

  // Runs the change callbacks now, or asks the base's loop to. Inline for
  // what most changes are: one nobody watches (a bufferevent's input), or
  // a removal from a bufferevent's output, whose one callback looks at
  // additions only.
  void changed() noexcept {
    if (callbacks == nullptr || (n_add_for_cb == 0 && sees_additions_only())) {
      n_add_for_cb = 0;
      n_del_for_cb = 0;
      return;
    }
    report_change();
  }
  void report_change() noexcept;
  bool sees_additions_only() const noexcept;
  void run_callbacks() noexcept;

  // libevent's fields, in libevent's order.
  evbuffer_chain* first = nullptr;
  evbuffer_chain* last = nullptr;
  evbuffer_chain** last_with_datap = &first;
  std::size_t total_len = 0;
  std::size_t n_add_for_cb = 0;
  std::size_t n_del_for_cb = 0;
  void* lock = nullptr;  // evbuffer_enable_locking; its own when own_lock
  unsigned own_lock : 1 = 0;
  unsigned freeze_start : 1 = 0;
  unsigned freeze_end : 1 = 0;
  unsigned deferred_cbs : 1 = 0;  // callbacks run from cb_queue's loop
  ev_uint32_t flags = 0;          // EVBUFFER_FLAG_*
  event_base* cb_queue = nullptr;
  int refcnt = 1;
  evbuffer_cb_entry* callbacks = nullptr;  // newest first, as libevent calls them
  bufferevent* parent = nullptr;           // the bufferevent it belongs to, if any

  // eddy's: with evbuffer_defer_callbacks, the event that runs them; made
  // then, since most buffers never defer (128 bytes each otherwise).
  struct event* deferred_event = nullptr;
  // How many new chains read_in offers the kernel (evbuffer_io.cpp).
  std::uint8_t read_offer = 1;

 private:
  // run_callbacks() for a list of more than one, or of the obsolete kind.
  void run_callback_list(const evbuffer_cb_info& info) noexcept;
  // Frees the empty chains after the last one with bytes (all of them when
  // the buffer is empty) / only those that cannot be written to.
  void free_empty_tail() noexcept;
  void free_unwritable_tail() noexcept;
  // Frees the chains after `chain`, which becomes the last.
  void free_after(evbuffer_chain* chain) noexcept;
  // Links a list of chains at the end (after dropping the empty tail).
  void append_list(evbuffer_chain* head, evbuffer_chain* tail, std::size_t bytes) noexcept;
  // Detaches the chains with bytes; returns the first, sets tail and bytes.
  evbuffer_chain* detach_data(evbuffer_chain*& tail, evbuffer_chain**& tail_link, std::size_t& bytes) noexcept;
  // Moves last_with_datap forward to `chain`, which now has bytes.
  void mark_written(evbuffer_chain* chain) noexcept;
  // The first chain with room to append, or nullptr.
  evbuffer_chain* first_with_space() const noexcept;
  void link_at_end(evbuffer_chain* chain) noexcept;
  // read_in() into an empty buffer with no room: one new chain.
  eddy::IoResult read_into_fresh_chain(int fd, std::size_t max_bytes) noexcept;
  // read_in() otherwise: the room there is, and new chains as offered.
  eddy::IoResult read_into_chains(int fd, std::size_t max_bytes) noexcept;
};

// A change callback; in a singly linked list, newest first.
struct evbuffer_cb_entry {
  evbuffer_cb_entry* next;
  evbuffer_cb_func callback;  // or nullptr for the obsolete kind
  evbuffer_cb obsolete;       // evbuffer_setcb's (old length, new length)
  void* arg;
  ev_uint32_t flags;
  // eddy's: the callback does nothing when nothing was added (the
  // bufferevents' own output hooks), so a removal need not call it.
  bool additions_only = false;
};

// Whether a change that only removed bytes would reach no callback.
inline bool evbuffer::sees_additions_only() const noexcept {
  return callbacks->next == nullptr && callbacks->additions_only;
}
