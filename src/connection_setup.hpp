#pragma once

#include <eddy/buffer.hpp>
#include <eddy/tcp_connection.hpp>

#include <cstddef>

namespace eddy::detail {

// The input and output Buffers of a connection that has bytes in flight.
// An idle connection holds none: it takes a pair from its setup's free list
// when bytes arrive or wait to be sent, and gives it back once both are
// empty and its callbacks have returned.
struct ConnectionBuffers {
  explicit ConnectionBuffers(BlockPool& pool) noexcept : input(pool), output(pool) {}

  Buffer input;
  Buffer output;
  ConnectionBuffers* next_free = nullptr;
};

// What the connections of one owner have in common, so that each of them
// keeps a pointer instead of a copy: the loop, the options, the callbacks,
// the traffic counters, the owner's release hook and a free list of buffer
// pairs.
//
//   TcpServer worker ──owns──> setup (shared) <──setup_── conn, conn, conn ...
//                                 ^   handlers: the server's, via fallback
//                                 └── root ── conn's own setup (after conn.on_data(...))
//   adopt()ed connection ──owns──> setup (its own, root = itself)
//
// A connection of a server whose callbacks it changes gets its own setup
// (clone_for): the options, counters and release hook copied, no callbacks
// of its own but the one it set, and the shared setup's callbacks as the
// fallback for the others. Buffer pairs always come from the root setup,
// which outlives every connection that points to it.
//
// Loop thread only.
class ConnectionSetup {
 public:
  using ReleaseHook = void (*)(void* owner, TcpConnection& connection);

  ConnectionSetup(Loop& on_loop, const TcpConnectionOptions& with_options,
                  TcpConnection::Handlers* fallback = nullptr) noexcept;
  ~ConnectionSetup();  // frees the cached buffer pairs

  ConnectionSetup(const ConnectionSetup&) = delete;
  ConnectionSetup& operator=(const ConnectionSetup&) = delete;

  // A setup for one connection that used `shared`: the same loop, options,
  // counters, owner and buffer pairs, and `shared`'s callbacks as fallback.
  static ConnectionSetup* clone_for(const ConnectionSetup& shared);

  // The callback to run: this setup's own, else the fallback's. May be
  // empty.
  template <typename Callback>
  Callback& handler(Callback TcpConnection::Handlers::*which) noexcept {
    Callback& own = handlers.*which;
    if (own || fallback_ == nullptr) {
      return own;
    }
    return fallback_->*which;
  }

  // A pair of empty buffers on the loop's block pool. Throws std::bad_alloc.
  // Inline, as is release_buffers: an echoed message takes a pair and gives
  // it back.
  ConnectionBuffers* acquire_buffers() {
    ConnectionSetup& root = *root_;
    ConnectionBuffers* buffers = root.free_;
    if (buffers == nullptr) {
      return new_buffers();
    }
    root.free_ = buffers->next_free;
    --root.cached_;
    return buffers;
  }
  // Takes back a pair; its buffers are cleared first.
  void release_buffers(ConnectionBuffers* buffers) noexcept {
    // Usually empty already: a connection gives its pair back once both are.
    if (!buffers->input.empty() || !buffers->output.empty()) {
      release_slow(buffers);
      return;
    }
    release_empty_buffers(buffers);
  }
  // release_buffers() of a pair whose buffers are known to be empty.
  void release_empty_buffers(ConnectionBuffers* buffers) noexcept {
    ConnectionSetup& root = *root_;
    if (root.cached_ == kMaxCachedBuffers) {
      release_slow(buffers);
      return;
    }
    buffers->next_free = root.free_;
    root.free_ = buffers;
    ++root.cached_;
  }

  Loop& loop;
  TcpConnectionOptions options;
  TcpConnection::Handlers handlers;
  TrafficCounters* counters = nullptr;
  ReleaseHook release_hook = nullptr;  // called after on_close by the owner's table (TcpServer)
  void* release_owner = nullptr;

 private:
  // Pairs kept for reuse beyond this are freed: a burst of activity on many
  // connections does not pin their buffers' headers for good.
  static constexpr std::size_t kMaxCachedBuffers = 1024;

  ConnectionBuffers* new_buffers();
  void release_slow(ConnectionBuffers* buffers) noexcept;

  TcpConnection::Handlers* fallback_;  // shared: called from every thread of a server
  ConnectionSetup* root_ = this;       // where buffer pairs come from and go back to
  ConnectionBuffers* free_ = nullptr;
  std::size_t cached_ = 0;
};

}  // namespace eddy::detail
