#pragma once

#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include <eddy/buffer.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

// An evbuffer: eddy's Buffer plus what libevent adds on top of a byte queue.
//
// - Change callbacks, told the size before and the bytes added and removed
//   since their previous run; run after each change, or from a base's loop
//   (evbuffer_defer_callbacks, which bufferevents use).
// - Freezing either end.
// - References (evbuffer_add_reference): the bytes are copied in, and the
//   owner's cleanup runs when the last of them leaves the buffer, as
//   libevent runs it when it frees the chunk that pointed at them. Positions
//   are kept as stream offsets (bytes ever removed from the front, plus the
//   offset in the buffer), so draining never has to walk the references.
struct evbuffer {
  evbuffer() = default;
  explicit evbuffer(eddy::BlockPool& pool) : bytes(pool) {}
  ~evbuffer();

  evbuffer(const evbuffer&) = delete;
  evbuffer& operator=(const evbuffer&) = delete;

  std::size_t size() const noexcept { return bytes.size(); }

  // The operations below keep the callback counts and references right;
  // none runs the callbacks (the C entry points do, once per call).
  void append(const void* data, std::size_t n);
  void append_reference(const void* data, std::size_t n, evbuffer_ref_cleanup_cb cleanup, void* extra);
  void prepend(const void* data, std::size_t n);
  void drain(std::size_t n) noexcept;
  // Moves all of `from` to the end of this buffer.
  void take_all(evbuffer& from) noexcept;
  // After bytes were added to `bytes` directly (read_from, commit).
  void added(std::size_t n) noexcept { n_added += n; }
  // One read(2) of at most max_bytes / one gathering write of at most
  // max_bytes, counted as additions / removals (callbacks not run).
  eddy::IoResult read_in(int fd, std::size_t max_bytes);
  eddy::IoResult write_out(int fd, std::size_t max_bytes) noexcept;

  // Calls f(data, size) for each block's bytes, head first, while f
  // returns true. Allocates nothing for up to kSegmentsOnStack blocks.
  template <typename F>
  void for_each_segment(F&& f) const;
  // Copies up to n bytes starting `offset` bytes in; returns how many.
  std::size_t copy_range(std::size_t offset, void* dest, std::size_t n) const;
  // How many bytes from `from` on are among `set` (a run of CR and LF).
  std::size_t run_length(std::size_t from, std::string_view set) const;

  // Runs the change callbacks now, or asks the base's loop to.
  void changed() noexcept;
  void run_callbacks() noexcept;

  struct Reference {
    std::int64_t end;  // stream offset just past the referenced bytes
    evbuffer_ref_cleanup_cb cleanup;
    const void* data;
    std::size_t size;
    void* extra;
  };

  eddy::Buffer bytes;
  std::int64_t removed = 0;  // bytes ever taken from the front, minus those prepended
  std::vector<Reference> references;

  bool frozen_front = false;
  bool frozen_back = false;
  std::uint64_t flags = 0;

  evbuffer_cb_entry* callbacks = nullptr;  // newest first, as libevent calls them
  std::size_t n_added = 0;
  std::size_t n_deleted = 0;

  // With evbuffer_defer_callbacks: the event that runs them from the loop.
  bool deferred = false;
  struct event deferred_event {};

  // The reserved span of the last evbuffer_reserve_space().
  char* reserved = nullptr;
  std::size_t reserved_size = 0;

 private:
  void release_references(bool all) noexcept;
};

// A change callback; in a singly linked list, newest first.
struct evbuffer_cb_entry {
  evbuffer_cb_entry* next;
  evbuffer_cb_func callback;   // or nullptr for the obsolete kind
  evbuffer_cb obsolete;        // evbuffer_setcb's (old length, new length)
  void* arg;
  ev_uint32_t flags;
};

template <typename F>
void evbuffer::for_each_segment(F&& f) const {
  constexpr std::size_t kSegmentsOnStack = 16;
  const std::size_t count = bytes.block_count();
  iovec on_stack[kSegmentsOnStack];
  std::vector<iovec> on_heap;
  std::span<iovec> segments(on_stack);
  if (count > kSegmentsOnStack) {
    on_heap.resize(count);
    segments = on_heap;
  }
  const std::size_t used = bytes.peek(segments);
  for (std::size_t i = 0; i < used; ++i) {
    if (!f(static_cast<const char*>(segments[i].iov_base), segments[i].iov_len)) {
      return;
    }
  }
}
