#pragma once

#include <event2/buffer.h>
#include <event2/util.h>

#include <cstddef>

struct evbuffer_file_segment;

// One link of an evbuffer: libevent 2.1's struct evbuffer_chain, field for
// field (programs and libevent's own tests walk buf->first and read these),
// then what only eddy reads.
//
//   buffer                                               buffer + buffer_len
//   |<-- misalign -->|<------- off ------->|<------ space ------>|
//                    the bytes in the buffer   room to append (writable only)
//
// A memory chain holds its bytes right after the header, in one allocation.
// A reference chain points at the caller's memory; a multicast chain at
// another chain's (evbuffer_add_buffer_reference, which holds a count on
// it); a file chain at a file segment's contents, or at nothing while it
// waits to be sent with sendfile(2), misalign then being the offset in the
// segment. Only memory chains that nobody shares are written to.
struct evbuffer_chain {
  evbuffer_chain* next;
  std::size_t buffer_len;
  ev_off_t misalign;
  std::size_t off;
  unsigned flags;
  int refcnt;
  unsigned char* buffer;

  // eddy's, past libevent's fields.
  std::size_t alloc_size;  // of the whole block, for memory chains; else 0
  union {
    struct {
      evbuffer_ref_cleanup_cb cleanup;
      void* extra;
    } reference;                     // EVBUFFER_REFERENCE
    evbuffer_file_segment* segment;  // EVBUFFER_FILESEGMENT
    evbuffer_chain* parent;          // EVBUFFER_MULTICAST
  } owner;
};

// libevent's chain flags (evbuffer-internal.h).
inline constexpr unsigned kChainFileSegment = 0x0001;
inline constexpr unsigned kChainSendfile = 0x0002;
inline constexpr unsigned kChainReference = 0x0004;
inline constexpr unsigned kChainImmutable = 0x0008;
inline constexpr unsigned kChainMulticast = 0x0080;

namespace eddy::compat {

// libevent's rules for sizing a chain: the block (header and bytes) is
// 1024 bytes at least (MIN_BUFFER_SIZE) and a power of two, and no chain
// holds more than EVBUFFER_CHAIN_MAX bytes.
inline constexpr std::size_t kMinChainBlock = 1024;
inline constexpr std::size_t kChainMax = static_cast<std::size_t>(EV_SSIZE_MAX);

// A memory chain with room for at least `capacity` bytes, or nullptr (too
// big, or out of memory). Blocks of up to 64 KiB come from a small cache
// per thread when one is there, so a buffer in steady use allocates
// nothing.
evbuffer_chain* chain_new(std::size_t capacity) noexcept;
// A chain with no bytes of its own (reference, multicast, file), or nullptr.
evbuffer_chain* chain_new_header() noexcept;
// Drops a count on the chain; at zero runs what its owner asked for (a
// reference's cleanup, a segment's count, a multicast parent's count) and
// frees it.
void chain_free(evbuffer_chain* chain) noexcept;
void chain_free_list(evbuffer_chain* chain) noexcept;

inline bool chain_writable(const evbuffer_chain* c) noexcept {
  return (c->flags & kChainImmutable) == 0 && c->refcnt == 1;
}
// Room to append, 0 for chains that are not written to.
inline std::size_t chain_space(const evbuffer_chain* c) noexcept {
  return chain_writable(c) ? c->buffer_len - static_cast<std::size_t>(c->misalign) - c->off : 0;
}
inline unsigned char* chain_space_ptr(const evbuffer_chain* c) noexcept { return c->buffer + c->misalign + c->off; }
// The chain's bytes; a chain waiting for sendfile is read in first, so
// this can fail (nullptr) for those.
unsigned char* chain_data(evbuffer_chain* c) noexcept;
// Moves the bytes to the start of the block.
void chain_align(evbuffer_chain* c) noexcept;
// Whether moving the bytes to the start is worth it to make room for n
// more: they are few (libevent's rule: under half the chain, at most
// 2 KiB) and the room would then suffice.
inline bool chain_should_realign(const evbuffer_chain* c, std::size_t n) noexcept {
  return chain_writable(c) && c->misalign != 0 && c->buffer_len - c->off >= n && c->off < c->buffer_len / 2 &&
         c->off <= 2048;
}

}  // namespace eddy::compat
