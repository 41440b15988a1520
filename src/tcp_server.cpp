#include "connection_setup.hpp"

#include <eddy/log.hpp>
#include <eddy/loop.hpp>
#include <eddy/tcp_listener.hpp>
#include <eddy/tcp_server.hpp>
#include <eddy/timer.hpp>

#include <atomic>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

namespace eddy {

// One thread of a TcpServer: its loop, its listener (sharing the port via
// SO_REUSEPORT) and the connections it accepted.
class TcpServer::Worker {
 public:
  Worker(TcpServer& server, const LoopOptions& loop_options)
      : server_(server),
        loop_(loop_options),
        setup_(loop_, server.options_.connection, &server.handlers_),
        listener_(loop_, [this](UniqueFd socket, const SocketAddress&) { on_accept(std::move(socket)); }),
        stop_deadline_(loop_, [this] { abort_all(); }) {
    setup_.counters = &counters_;
    setup_.release_hook = [](void* owner, TcpConnection& closed) { static_cast<Worker*>(owner)->release(closed); };
    setup_.release_owner = this;
  }

  std::error_code listen(const SocketAddress& address) {
    return listener_.listen(address, TcpListenerOptions{.reuse_port = true});
  }
  SocketAddress local_address() const noexcept { return listener_.local_address(); }

  void run_thread() {
    thread_ = std::thread([this] { loop_.run(); });
  }

  // From another thread: asks the loop to stop gracefully.
  void request_stop(Duration flush_deadline) {
    if (thread_.joinable()) {
      loop_.post([this, flush_deadline] { begin_stop(flush_deadline); });
    }
  }
  void join() {
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  void add_stats(TcpServerStats& stats) const noexcept {
    stats.accepted += accepted_.load(std::memory_order_relaxed);
    stats.closed += closed_.load(std::memory_order_relaxed);
    stats.rejected += rejected_.load(std::memory_order_relaxed) + shed_.load(std::memory_order_relaxed);
    stats.bytes_in += counters_.bytes_in.load(std::memory_order_relaxed);
    stats.bytes_out += counters_.bytes_out.load(std::memory_order_relaxed);
    stats.reads += counters_.reads.load(std::memory_order_relaxed);
  }

 private:
  void on_accept(UniqueFd socket) {
    shed_.store(listener_.shed_count(), std::memory_order_relaxed);
    // Take a slot first and give it back if there was none: a check then an
    // add would let two threads both take the last slot.
    const std::size_t cap = server_.options_.max_connections;
    if (server_.open_.fetch_add(1, std::memory_order_relaxed) >= cap && cap != 0) {
      server_.open_.fetch_sub(1, std::memory_order_relaxed);
      // Shed the newcomer, not an existing client: closing it at once tells
      // the peer to go elsewhere instead of leaving it in the backlog.
      TrafficCounters::add(rejected_, 1);
      return;
    }
    TrafficCounters::add(accepted_, 1);
    TcpConnection::Ptr connection = TcpConnection::adopt_shared(setup_, std::move(socket));
    TcpConnection& c = *connection;
    c.table_index_ = static_cast<std::uint32_t>(connections_.size());
    connections_.push_back(std::move(connection));
    if (server_.on_connection_) {
      server_.on_connection_(c);
    }
    c.start();
  }

  // Swap-and-pop: the table stays dense, 8 bytes per connection.
  void release(TcpConnection& connection) {
    const std::uint32_t index = connection.table_index_;
    TcpConnection::Ptr closed = std::move(connections_[index]);  // freed at the end of its on_close scope
    if (index + 1 != connections_.size()) {
      connections_[index] = std::move(connections_.back());
      connections_[index]->table_index_ = index;
    }
    connections_.pop_back();
    closed.reset();
    server_.open_.fetch_sub(1, std::memory_order_relaxed);
    TrafficCounters::add(closed_, 1);
    if (stopping_ && connections_.empty()) {
      stop_deadline_.stop();  // nothing left to wait for: let run() return
    }
  }

  void begin_stop(Duration flush_deadline) {
    stopping_ = true;
    listener_.close();
    if (connections_.empty()) {
      return;
    }
    // close() of a connection with nothing queued ends it at once, but its
    // release (and the table's swap-and-pop) waits for on_close in a later
    // timer phase, so the table does not change under this walk.
    for (auto& connection : connections_) {
      connection->close();  // flushes queued output first
    }
    stop_deadline_.start(flush_deadline);
  }

  void abort_all() {
    for (auto& connection : connections_) {
      connection->abort();
    }
  }

  TcpServer& server_;
  Loop loop_;
  detail::ConnectionSetup setup_;  // outlives the connections: they point to it
  TcpListener listener_;
  Timer stop_deadline_;
  TrafficCounters counters_;
  std::vector<TcpConnection::Ptr> connections_;  // connection->table_index_ is its index
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> closed_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> shed_{0};
  bool stopping_ = false;
  std::thread thread_;
};

TcpServer::TcpServer(TcpServerOptions options, ConnectionCallback on_connection)
    : options_(std::move(options)), on_connection_(std::move(on_connection)) {}

TcpServer::~TcpServer() { stop(Duration::zero()); }

void TcpServer::check_not_started(const char* operation) const {
  if (started_) {
    throw std::logic_error(std::string("TcpServer::") + operation + " called after start()");
  }
}

void TcpServer::on_data(TcpConnection::DataCallback callback) {
  check_not_started("on_data");
  handlers_.on_data = std::move(callback);
}

void TcpServer::on_drained(TcpConnection::DrainedCallback callback) {
  check_not_started("on_drained");
  handlers_.on_drained = std::move(callback);
}

void TcpServer::on_close(TcpConnection::CloseCallback callback) {
  check_not_started("on_close");
  handlers_.on_close = std::move(callback);
}

void TcpServer::start() {
  if (started_) {
    throw std::logic_error("TcpServer::start called twice");
  }
  std::size_t threads = options_.threads;
  if (threads == 0) {
    threads = std::max(1U, std::thread::hardware_concurrency());
  }
  SocketAddress address = options_.address;
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::size_t i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>(*this, LoopOptions{.backend = options_.backend});
    if (std::error_code ec = worker->listen(address)) {
      throw std::system_error(ec, "cannot listen on " + address.to_string());
    }
    if (i == 0) {
      address = worker->local_address();  // port 0 became a real port: the others share it
    }
    workers.push_back(std::move(worker));
  }
  local_ = address;
  workers_ = std::move(workers);
  for (auto& worker : workers_) {
    worker->run_thread();
  }
  started_ = running_ = true;
}

void TcpServer::stop(Duration flush_deadline) {
  if (!running_) {
    return;
  }
  // Every thread stops accepting at once, and the flush deadlines run side
  // by side: stop() takes one deadline, not one per thread.
  for (auto& worker : workers_) {
    worker->request_stop(flush_deadline);
  }
  for (auto& worker : workers_) {
    worker->join();
  }
  // The workers (loops, counters) stay until the destructor, so that
  // stats() may run on another thread during and after the stop.
  running_ = false;
}

SocketAddress TcpServer::local_address() const noexcept { return local_; }

std::size_t TcpServer::thread_count() const noexcept { return running_ ? workers_.size() : 0; }

TcpServerStats TcpServer::stats() const noexcept {
  TcpServerStats stats;
  for (const auto& worker : workers_) {
    worker->add_stats(stats);
  }
  stats.open = open_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace eddy
