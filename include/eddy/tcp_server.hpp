#pragma once

#include <eddy/clock.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/tcp_connection.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace eddy {

struct TcpServerOptions {
  SocketAddress address;           // where to listen (port 0: any free port)
  std::size_t threads = 0;         // loops, one thread each; 0: one per core
  std::size_t max_connections = 0; // open connections over all threads; 0: no cap
  std::string backend;             // LoopOptions::backend for every loop
  // Off (the default), the threads accept on one listening socket and no
  // other socket can bind the port: a second server fails to start with
  // "Address already in use", whoever runs it. On, every thread has a
  // socket of its own with SO_REUSEPORT and the kernel spreads connections
  // over them by a hash of the peer's address, but so it does over any
  // other process of the same user that binds the port with SO_REUSEPORT:
  // it silently takes a share of the connections. Only for deployments
  // that mean to run several server processes on one port.
  bool share_port_with_other_processes = false;
  TcpConnectionOptions connection;
};

// Counters over all of a server's threads (read without stopping them).
struct TcpServerStats {
  std::uint64_t open = 0;
  std::uint64_t accepted = 0;
  std::uint64_t closed = 0;
  std::uint64_t rejected = 0;  // over max_connections, or shed for lack of fds
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t reads = 0;  // on_data calls: "messages" for an echo
};

// A TCP server on N loops and N threads.
//
// Each thread runs its own Loop. The threads share one listening socket:
// a new connection wakes one thread that is waiting (EPOLLEXCLUSIVE), which
// accepts it, and no connection ever changes thread. A thread that holds a
// few more connections than the least loaded one (1/16 more at scale)
// stops accepting until the others catch up, so a burst of clients is
// spread evenly. Every connection belongs to the table of the thread that
// accepted it.
//
// Callbacks. on_data(), on_drained() and on_close() set the callbacks every
// connection starts with: one set for the whole server, so that they cost a
// connection nothing (an idle connection is 88 bytes: docs/tcp.md). They run on
// every thread of the server at once: they must not touch shared state
// without synchronisation (a lambda that changes its captures is such
// state). `on_connection`, when given, runs on the connection's thread for
// each new connection before it starts reading; it may set callbacks of
// that connection's own, which take precedence (and give the connection
// its own copy of the options: TcpConnection::on_data()). The server owns
// the connection: it destroys it after its on_close has run.
//
// Above max_connections new connections are accepted and closed at once:
// under overload the server sheds new connections, not existing ones.
class TcpServer {
 public:
  using ConnectionCallback = std::function<void(TcpConnection&)>;

  explicit TcpServer(TcpServerOptions options, ConnectionCallback on_connection = {});
  ~TcpServer();  // stop(Duration::zero()) if still running

  // The callbacks of every connection (see above). Before start() only:
  // they throw std::logic_error afterwards.
  void on_data(TcpConnection::DataCallback callback);
  void on_drained(TcpConnection::DrainedCallback callback);
  void on_close(TcpConnection::CloseCallback callback);

  TcpServer(const TcpServer&) = delete;
  TcpServer(TcpServer&&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // Binds every listener and starts the threads. Throws std::system_error
  // naming the address when binding fails ("cannot listen on ...: Address
  // already in use"); nothing is left running then.
  void start();

  // Graceful stop, from any thread except the server's own: stops
  // accepting, closes every connection gracefully (queued output is
  // flushed), aborts those still flushing after `flush_deadline`, and joins
  // the threads. Idempotent. A server runs once: start() after stop()
  // throws std::logic_error.
  void stop(Duration flush_deadline = std::chrono::seconds(5));

  SocketAddress local_address() const noexcept;
  std::size_t thread_count() const noexcept;  // 0 before start() and after stop()
  // Safe from any thread at any time, during stop() and after it too.
  TcpServerStats stats() const noexcept;

 private:
  class Worker;

  void check_not_started(const char* operation) const;

  TcpServerOptions options_;
  ConnectionCallback on_connection_;
  TcpConnection::Handlers handlers_;  // shared by every worker's connections
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<std::size_t> open_{0};  // over all workers, for max_connections
  std::mutex balance_mutex_;          // the workers' shares of a shared socket (tcp_server.cpp)
  bool balance_accepts_ = false;      // several workers on one socket
  SocketAddress local_;
  bool running_ = false;
  bool started_ = false;
};

}  // namespace eddy
