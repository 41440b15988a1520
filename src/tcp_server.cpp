#include "connection_setup.hpp"

#include <eddy/log.hpp>
#include <eddy/loop.hpp>
#include <eddy/tcp_listener.hpp>
#include <eddy/tcp_server.hpp>
#include <eddy/timer.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

namespace eddy {

// One thread of a TcpServer: its loop, its listener (on the socket of the
// first worker's, or its own SO_REUSEPORT one) and the connections it
// accepted.
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

  std::error_code listen(const SocketAddress& address, bool reuse_port) {
    return listener_.listen(address, TcpListenerOptions{.reuse_port = reuse_port});
  }
  // Accepts on the first worker's socket; before any thread runs.
  std::error_code share(const Worker& first) { return listener_.share(first.listener_); }
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

  // From another worker, under balance_mutex_: resumes accepting if this
  // worker had paused for holding more than its share and no longer does.
  void resume_if_within(std::size_t limit) {
    if (accept_paused_ && open_ <= limit) {
      accept_paused_ = false;
      loop_.post([this] { listener_.resume(); });
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
    if (server_.balance_accepts_) {
      balance_after_accept();
    }
    if (server_.on_connection_) {
      server_.on_connection_(c);
    }
    c.start();
  }

  // A shared socket wakes whichever loop is waiting, the first one
  // registered first: left alone, one thread would take most of a burst of
  // clients. So a worker holding more than its share stops accepting, and
  // one that accepts resumes every paused worker back within its share.
  // The least loaded worker is never paused, so some worker always
  // accepts; one mutex over all the decisions keeps that true (with
  // separate atomics two workers could each see the other still active and
  // both pause). It costs tens of nanoseconds per accept and close, beside
  // accept4's microseconds.
  void balance_after_accept() {
    const std::lock_guard lock(server_.balance_mutex_);
    open_ = connections_.size();
    const std::size_t limit = share_limit();
    for (const auto& worker : server_.workers_) {
      if (worker.get() != this) {
        worker->resume_if_within(limit);
      }
    }
    if (open_ > limit) {
      accept_paused_ = true;
      listener_.pause();
    }
  }

  void balance_after_close() {
    const std::lock_guard lock(server_.balance_mutex_);
    open_ = connections_.size();
    if (accept_paused_ && !stopping_ && open_ <= share_limit()) {
      accept_paused_ = false;
      listener_.resume();
    }
  }

  // What a worker may hold, under balance_mutex_: a few more than the least
  // loaded one, so that a pause and a resume (a post to another loop) come
  // once per several accepts, and 1/16 more at scale.
  std::size_t share_limit() const noexcept {
    std::size_t least = open_;
    for (const auto& worker : server_.workers_) {
      least = std::min(least, worker->open_);
    }
    return least + 2 + least / 16;
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
    if (server_.balance_accepts_) {
      balance_after_close();
    }
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
  // Under server_.balance_mutex_: connections_.size() for the other
  // workers to read, and whether balance paused this worker's accepts.
  std::size_t open_ = 0;
  bool accept_paused_ = false;
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
  const bool reuse_port = options_.share_port_with_other_processes;
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::size_t i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>(*this, LoopOptions{.backend = options_.backend});
    const std::error_code ec = (i == 0 || reuse_port) ? worker->listen(address, reuse_port) : worker->share(*workers[0]);
    if (ec) {
      throw std::system_error(ec, "cannot listen on " + address.to_string());
    }
    if (i == 0) {
      address = worker->local_address();  // port 0 became a real port: the others share it
    }
    workers.push_back(std::move(worker));
  }
  local_ = address;
  workers_ = std::move(workers);
  balance_accepts_ = workers_.size() > 1 && !reuse_port;
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
