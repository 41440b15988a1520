// eddy-bench-asio-echo: a single-threaded TCP echo server on (standalone)
// Asio, written the way Asio's own echo example is, as one of the peers that
// bench/echo/run.sh measures eddy-echo against.
//
// - One io_context, run by main() alone (concurrency hint 1: no locking for
//   other threads).
// - Each connection is a Session owned through shared_ptr by its pending
//   handler, with a 64 KiB buffer of its own: async_read_some() into it, then
//   async_write() of what was read (Asio's composed write loops over partial
//   writes), then the next async_read_some(). So a connection is not read
//   while any of its bytes wait to be sent: its backlog is at most one read
//   (64 KiB), well under the 1 MiB the other peers allow.
// - EOF, reset or any error ends the session: the socket closes when the last
//   handler holding the Session is gone.
// - TCP_NODELAY on accepted sockets; SIGPIPE ignored (Asio sends with
//   MSG_NOSIGNAL anyway); SIGINT/SIGTERM through asio::signal_set stop the
//   io_context: exit 0.
// - An accept error (EMFILE ...) is ignored and the next accept started, as
//   in Asio's examples.
//
// Usage: eddy-bench-asio-echo [--port N] [--bind ADDR]   (25341, 127.0.0.1)
// Exit codes: 0 after SIGINT/SIGTERM, 1 when it cannot listen, 2 bad usage.

#include <asio.hpp>

#include <array>
#include <csignal>
#include <cstdio>
#include <memory>
#include <system_error>
#include <utility>

#include "common.hpp"

namespace {

constexpr const char* kName = "eddy-bench-asio-echo";

using asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : socket_(std::move(socket)) {}

  void start() { read(); }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(data_),
                            [self = shared_from_this()](std::error_code error, std::size_t length) {
                              if (!error) {
                                self->write(length);
                              }
                            });
  }

  void write(std::size_t length) {
    asio::async_write(socket_, asio::buffer(data_, length),
                      [self = shared_from_this()](std::error_code error, std::size_t) {
                        if (!error) {
                          self->read();
                        }
                      });
  }

  tcp::socket socket_;
  std::array<char, peers::kReadSize> data_;  // not zeroed: only read into
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](std::error_code error, tcp::socket socket) {
    if (!error) {
      std::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(std::move(socket))->start();
    }
    accept(acceptor);
  });
}

}  // namespace

int main(int argc, char** argv) {
  const peers::Options options = peers::parse_options(kName, argc, argv);
  std::error_code error;
  const asio::ip::address address = asio::ip::make_address(options.bind_address, error);
  if (error) {
    peers::usage(kName, "--bind needs a numeric IPv4 or IPv6 address");
  }
  std::signal(SIGPIPE, SIG_IGN);

  asio::io_context io(1);
  tcp::acceptor acceptor(io);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  acceptor.open(endpoint.protocol(), error);
  if (!error) {
    acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  }
  if (!error) {
    acceptor.bind(endpoint, error);
  }
  if (!error) {
    acceptor.listen(asio::socket_base::max_listen_connections, error);
  }
  if (error) {
    peers::cannot_listen(options, error.message().c_str());
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](std::error_code, int) { io.stop(); });
  accept(acceptor);
  io.run();
  return 0;
}
