// eddy-bench-libuv-echo: a single-threaded TCP echo server on libuv, written
// the way a libuv user would write a fast one, as one of the peers that
// bench/echo/run.sh measures eddy-echo against.
//
// - One uv_tcp_t per connection, read with uv_read_start(). The alloc callback
//   hands out one static 64 KiB buffer: every read is consumed before the
//   read callback returns, so no read needs a buffer of its own.
// - Each read is sent back with uv_try_write() while nothing is queued on that
//   stream; what the kernel did not take (or everything, while older bytes are
//   still queued) is copied into a uv_write() request, one malloc() block
//   holding the request and its bytes. libuv keeps the writes in order.
// - Back-pressure: while the stream's write queue
//   (uv_stream_get_write_queue_size) is above 1 MiB the connection is not
//   read (uv_read_stop); the write callback that brings it back to 1 MiB or
//   less starts reading again.
// - EOF or any read/write error closes the handle; libuv cancels its queued
//   writes (their callbacks free them) before the close callback frees the
//   connection.
// - TCP_NODELAY on accepted sockets (uv_tcp_nodelay); SIGPIPE ignored;
//   SIGINT/SIGTERM through uv_signal_t: every handle is closed, the loop runs
//   out, exit 0.
// - EMFILE on accept is libuv's own business (it keeps a spare fd to shed a
//   peer with).
//
// Usage: eddy-bench-libuv-echo [--port N] [--bind ADDR]   (25341, 127.0.0.1)
// Exit codes: 0 after SIGINT/SIGTERM, 1 when it cannot listen, 2 bad usage.

#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "common.hpp"

namespace {

constexpr const char* kName = "eddy-bench-libuv-echo";

char g_read_buffer[peers::kReadSize];

struct Connection {
  uv_tcp_t handle;  // first: a uv_handle_t* to it is a Connection*
  bool reading = false;
};

// One queued write: the request, its buffer descriptor and the bytes.
struct WriteRequest {
  uv_write_t request;
  uv_buf_t buffer;
  char* data() { return reinterpret_cast<char*>(this + 1); }
};

[[noreturn]] void fail(const char* operation, int error) {
  std::fprintf(stderr, "%s: %s: %s\n", kName, operation, uv_strerror(error));
  std::exit(1);
}

Connection* connection_of(uv_handle_t* handle) { return static_cast<Connection*>(handle->data); }

void on_closed(uv_handle_t* handle) { delete connection_of(handle); }

void close_connection(Connection* connection) {
  auto* handle = reinterpret_cast<uv_handle_t*>(&connection->handle);
  if (!uv_is_closing(handle)) {
    uv_close(handle, on_closed);
  }
}

void on_alloc(uv_handle_t*, std::size_t, uv_buf_t* buffer) {
  *buffer = uv_buf_init(g_read_buffer, sizeof g_read_buffer);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer);

void start_reading(Connection* connection) {
  auto* stream = reinterpret_cast<uv_stream_t*>(&connection->handle);
  int error = uv_read_start(stream, on_alloc, on_read);
  if (error != 0) {
    close_connection(connection);
    return;
  }
  connection->reading = true;
}

void on_written(uv_write_t* request, int status) {
  auto* write = reinterpret_cast<WriteRequest*>(request);
  uv_stream_t* stream = request->handle;
  std::free(write);
  Connection* connection = connection_of(reinterpret_cast<uv_handle_t*>(stream));
  if (status < 0) {  // includes UV_ECANCELED once the handle is closing
    close_connection(connection);
    return;
  }
  if (!connection->reading && uv_stream_get_write_queue_size(stream) <= peers::kMaxQueued &&
      !uv_is_closing(reinterpret_cast<uv_handle_t*>(stream))) {
    start_reading(connection);
  }
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer) {
  Connection* connection = connection_of(reinterpret_cast<uv_handle_t*>(stream));
  if (nread < 0) {  // UV_EOF, UV_ECONNRESET, ...
    close_connection(connection);
    return;
  }
  auto size = static_cast<std::size_t>(nread);
  const char* data = buffer->base;
  if (size == 0) {
    return;  // EAGAIN: nothing this time
  }
  if (uv_stream_get_write_queue_size(stream) == 0) {
    uv_buf_t now = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(size));
    int written = uv_try_write(stream, &now, 1);
    if (written >= 0) {
      data += written;
      size -= static_cast<std::size_t>(written);
    } else if (written != UV_EAGAIN) {
      close_connection(connection);
      return;
    }
    if (size == 0) {
      return;
    }
  }
  auto* write = static_cast<WriteRequest*>(std::malloc(sizeof(WriteRequest) + size));
  if (write == nullptr) {
    std::fprintf(stderr, "%s: out of memory\n", kName);
    std::exit(1);
  }
  std::memcpy(write->data(), data, size);
  write->buffer = uv_buf_init(write->data(), static_cast<unsigned>(size));
  int error = uv_write(&write->request, stream, &write->buffer, 1, on_written);
  if (error != 0) {
    std::free(write);
    close_connection(connection);
    return;
  }
  if (uv_stream_get_write_queue_size(stream) > peers::kMaxQueued) {
    uv_read_stop(stream);
    connection->reading = false;
  }
}

void on_connection(uv_stream_t* listener, int status) {
  if (status < 0) {
    return;
  }
  auto* connection = new Connection;
  uv_tcp_init(listener->loop, &connection->handle);
  connection->handle.data = connection;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&connection->handle)) != 0) {
    close_connection(connection);
    return;
  }
  uv_tcp_nodelay(&connection->handle, 1);
  start_reading(connection);
}

void close_any(uv_handle_t* handle, void*) {
  if (uv_is_closing(handle)) {
    return;
  }
  // Connections carry their Connection in `data`; the listener and the signal
  // handles live in main() and carry nullptr.
  uv_close(handle, handle->data != nullptr ? on_closed : nullptr);
}

void on_signal(uv_signal_t* signal, int) { uv_walk(signal->loop, close_any, nullptr); }

}  // namespace

int main(int argc, char** argv) {
  const peers::Options options = peers::parse_options(kName, argc, argv);
  sockaddr_storage address;
  peers::parse_address(options, address);
  std::signal(SIGPIPE, SIG_IGN);

  uv_loop_t* loop = uv_default_loop();
  uv_tcp_t listener;
  uv_tcp_init(loop, &listener);
  listener.data = nullptr;
  // uv_tcp_bind() sets SO_REUSEADDR; EADDRINUSE may only show at uv_listen().
  int error = uv_tcp_bind(&listener, reinterpret_cast<const sockaddr*>(&address), 0);
  if (error == 0) {
    error = uv_listen(reinterpret_cast<uv_stream_t*>(&listener), SOMAXCONN, on_connection);
  }
  if (error != 0) {
    peers::cannot_listen(options, uv_strerror(error));
  }

  uv_signal_t stop_signals[2];
  const int signals[2] = {SIGINT, SIGTERM};
  for (int i = 0; i < 2; ++i) {
    uv_signal_init(loop, &stop_signals[i]);
    stop_signals[i].data = nullptr;
    error = uv_signal_start(&stop_signals[i], on_signal, signals[i]);
    if (error != 0) {
      fail("uv_signal_start", error);
    }
  }

  uv_run(loop, UV_RUN_DEFAULT);  // returns once on_signal closed every handle
  uv_loop_close(loop);
  return 0;
}
