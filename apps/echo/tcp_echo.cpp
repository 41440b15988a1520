#include "tcp_echo.hpp"

#include "echo_cli.hpp"
#include "echo_log.hpp"
#include "shutdown_signals.hpp"
#include "stats_reporter.hpp"
#include "stopper_thread.hpp"

#include <eddy/buffer.hpp>
#include <eddy/log.hpp>
#include <eddy/loop.hpp>
#include <eddy/tcp_connection.hpp>
#include <eddy/tcp_server.hpp>

#include <optional>
#include <string>

namespace eddy_echo {

namespace {

eddy::TcpServerOptions server_options(const EchoOptions& options, const eddy::Loop& loop) {
  eddy::TcpServerOptions server;
  server.address = options.address;
  server.threads = options.threads;
  server.max_connections = options.max_connections;
  server.share_port_with_other_processes = options.reuse_port;
  // The main loop has already resolved --backend and EDDY_BACKEND.
  server.backend = std::string(loop.backend_name());
  // Backpressure: above max_buffer queued bytes the connection stops
  // reading from its client; it resumes once half has been sent, so that a
  // slow reader does not flip reading on and off for every block.
  server.connection.high_watermark = options.max_buffer;
  server.connection.low_watermark = options.max_buffer / 2;
  server.connection.idle_timeout = options.idle_timeout;
  return server;
}

// Echoes what arrived. One function for every connection of every thread
// (TcpServer::on_data), so that an idle connection carries no callback.
void echo_data(eddy::TcpConnection& connection, eddy::Buffer& input) {
  connection.write(std::move(input));  // moves the blocks: no byte is copied
}

// echo_data with --log-level debug. The tutorial printed every read; here
// it is a debug line with the size only: the bytes are the client's
// business, and binary data would garble the terminal. A callback of its
// own rather than a test in echo_data: the level check and the string code
// beside it cost an echoed message about 30 instructions (callgrind).
void echo_data_logged(eddy::TcpConnection& connection, eddy::Buffer& input) {
  if (eddy::log_enabled(eddy::LogLevel::kDebug)) {
    eddy::log(eddy::LogLevel::kDebug,
              "fd " + std::to_string(connection.fd()) + ": read " + std::to_string(input.size()) + " bytes");
  }
  echo_data(connection, input);
}

// With --log-level debug only: a line when a connection opens and one when
// it closes. The close line needs the fd, which is gone by on_close, so each
// connection gets an on_close of its own that captured it (and with it its
// own copy of the options: a cost paid only while debugging).
void log_connection(eddy::TcpConnection& connection) {
  const int fd = connection.fd();
  const auto peer = connection.peer_address();
  eddy::log(eddy::LogLevel::kDebug, "fd " + std::to_string(fd) + ": connection from " +
                                        (peer ? peer->to_string() : std::string("an unknown peer")));
  connection.on_close([fd](eddy::TcpConnection&, const eddy::CloseInfo& info) {
    std::string line = "fd " + std::to_string(fd) + ": closed (" + std::string(eddy::to_string(info.reason));
    if (info.error) {
      line += ": " + info.error.message();
    }
    eddy::log(eddy::LogLevel::kDebug, line + ")");
  });
}

}  // namespace

int run_tcp_echo(const EchoOptions& options, eddy::Loop& loop) {
  eddy::TcpServer::ConnectionCallback on_connection;
  const bool debug = eddy::log_enabled(eddy::LogLevel::kDebug);
  if (debug) {
    on_connection = log_connection;
  }
  eddy::TcpServer server(server_options(options, loop), std::move(on_connection));
  server.on_data(debug ? echo_data_logged : echo_data);
  StatsReporter stats(loop, options.stats_interval, [&server] {
    const eddy::TcpServerStats s = server.stats();
    return StatsSample{{"open", s.open, true},   {"accepted", s.accepted}, {"closed", s.closed},
                       {"rejected", s.rejected}, {"bytes_in", s.bytes_in}, {"bytes_out", s.bytes_out},
                       {"messages", s.reads}};
  });

  // TcpServer::stop() blocks until every connection has flushed or the
  // deadline has passed. It runs on its own thread so that the main loop
  // stays free to take a second signal meanwhile (ShutdownSignals).
  std::optional<StopperThread> stopper;
  ShutdownSignals signals(loop, [&] {
    stats.stop();
    stopper->trigger();
  });
  signals.start();  // before any other thread exists: they all inherit the blocked signals
  stopper.emplace([&server, &loop, timeout = options.shutdown_timeout] {
    server.stop(timeout);
    loop.post([&loop] { loop.stop(); });
  });
  server.start();

  const std::size_t threads = server.thread_count();
  report("listening on " + server.local_address().to_string() + " (" + std::string(loop.backend_name()) + ", " +
         std::to_string(threads) + (threads == 1 ? " thread)" : " threads)"));
  if (options.stats_interval > eddy::Duration::zero()) {
    stats.start();
  }
  loop.run();
  return kExitOk;
}

}  // namespace eddy_echo
