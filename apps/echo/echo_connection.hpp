#pragma once

#include <eddy/unique_fd.hpp>

#include <eddy/function.hpp>
#include <eddy/io_watcher.hpp>

#include <cstddef>
#include <span>
#include <system_error>
#include <vector>

namespace eddy {
class Loop;
}

namespace eddy_echo {

// One accepted client: everything it sends is written back to it.
//
// A connection is in one of two states, told apart by its watcher's
// interest. It never reads while output is pending, so it holds at most one
// read's worth of bytes (64 KiB) however slowly its peer reads:
//
//      reading (kReadable)                writing (kWritable)
//   read n bytes, send them  --part-->  the unsent tail waits in pending_;
//   at once; all taken: stay            on writable, send more of it
//            ^                                     |
//            +------------- drained ---------------+
//
//   EOF, ECONNRESET, EPIPE, any other error  -->  closed
//
// EOF is only seen in the reading state, that is with nothing pending, so
// every byte read has been handed to the kernel before the socket closes: a
// client that sends and then shuts down its write side gets all its bytes
// back, then EOF.
//
// Closing stops the watcher (it is never called again, not even for an event
// the loop already collected) and calls `on_close`. The owner must not
// destroy the connection inside that call, because it runs inside the
// connection's own callback: it defers the destruction (EchoServer does so
// with Loop::defer). The socket stays open until destruction, so its number
// cannot be reused by a new connection while this one still exists.
//
// Loop thread only; owned by EchoServer's table.
class EchoConnection {
 public:
  using CloseCallback = eddy::Function<void(EchoConnection&)>;

  // `read_buffer` is scratch space shared by every connection of a server:
  // a read is echoed (or its tail copied to pending_) before the callback
  // returns, and one loop runs one callback at a time.
  EchoConnection(eddy::Loop& loop, eddy::UniqueFd socket, std::span<char> read_buffer, CloseCallback on_close);

  EchoConnection(const EchoConnection&) = delete;
  EchoConnection& operator=(const EchoConnection&) = delete;

  // Starts reading. Fails (ENOMEM, ...) when the backend cannot watch the
  // socket; the caller then drops the connection.
  void start(std::error_code& ec) noexcept;

  int fd() const noexcept { return socket_.get(); }

 private:
  void on_ready();
  void on_readable();
  void on_writable();
  // Sends `data` now; what the kernel does not take goes to pending_.
  void echo(std::span<const char> data);
  void close();

  // Declared before watcher_ so that it is closed after the watcher stops:
  // a watcher must never outlive the descriptor it watches.
  eddy::UniqueFd socket_;
  std::span<char> read_buffer_;
  // Output the kernel has not taken yet: pending_[pending_offset_, size()).
  // Cleared, but its capacity kept, when drained, so a connection that
  // keeps meeting a full socket buffer does not allocate on every read.
  std::vector<char> pending_;
  std::size_t pending_offset_ = 0;
  CloseCallback on_close_;
  eddy::IoWatcher watcher_;
};

}  // namespace eddy_echo
