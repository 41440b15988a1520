#pragma once

#include <eddy/buffer.hpp>
#include <eddy/tcp_connection.hpp>

#include <cstddef>

namespace eddy::detail {

class LoopCore;

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
  // it back. The last pair given back waits in a slot of its own (spare_),
  // so that this common case is a load and a store; the free list behind
  // it is out of line.
  ConnectionBuffers* acquire_buffers() {
    ConnectionSetup& root = *root_;
    if (ConnectionBuffers* spare = root.spare_) {
      root.spare_ = nullptr;
      return spare;
    }
    return root.acquire_listed();
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
    if (root.spare_ == nullptr) {
      root.spare_ = buffers;
      return;
    }
    root.release_listed(buffers);
  }

  Loop& loop;
  LoopCore& core;  // loop.core(), one load nearer: each message reads its clock
  TcpConnectionOptions options;
  TcpConnection::Handlers handlers;
  TrafficCounters* counters = nullptr;
  ReleaseHook release_hook = nullptr;  // called after on_close by the owner's table (TcpServer)
  void* release_owner = nullptr;

 private:
  // Pairs kept for reuse beyond this are freed: a burst of activity on many
  // connections does not pin their buffers' headers for good.
  static constexpr std::size_t kMaxCachedBuffers = 1024;

  // The free list behind spare_ (root only): a pair from it, or a new one;
  // a pair onto it, or freed when it holds kMaxCachedBuffers.
  ConnectionBuffers* acquire_listed();
  void release_listed(ConnectionBuffers* buffers) noexcept;
  void release_slow(ConnectionBuffers* buffers) noexcept;

  TcpConnection::Handlers* fallback_;   // shared: called from every thread of a server
  ConnectionSetup* root_ = this;        // where buffer pairs come from and go back to
  ConnectionBuffers* spare_ = nullptr;  // the last pair given back, if any
  ConnectionBuffers* free_ = nullptr;   // the others kept for reuse
  std::size_t cached_ = 0;              // pairs on free_
};

}  // namespace eddy::detail
