#pragma once

#include "load_driver.hpp"
#include "load_options.hpp"
#include "load_stats.hpp"
#include "payload.hpp"

#include <eddy/clock.hpp>
#include <eddy/loop.hpp>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace eddy_load {

// The lock and the signal between the main thread and the workers. A worker
// notifies `changed` whenever it updates its WorkerShared; the main thread
// notifies it when it releases the workers.
struct Coordinator {
  std::mutex mutex;
  std::condition_variable changed;
};

// What a worker publishes for the main thread; guarded by Coordinator::mutex.
struct WorkerShared {
  bool connected = false;  // every connect attempt has finished
  bool done = false;       // the loop has returned: nothing left to run
  bool released = false;   // the main thread will post nothing more
  std::string failure;     // set when the thread could not run
  std::string backend;
  std::size_t open_connections = 0;  // after the connect phase
  std::uint64_t snapshot_generation = 0;
  LoadFigures interval;  // the last snapshot: figures since the one before
  LoadFigures measured;  // published at the stop, and again when done
  ErrorCounts errors;
  FirstErrors first_errors;
  eddy::TimePoint finished_at{};  // when done was set
  // Set by the main thread when the run ended (an interrupt) before
  // `connected`: the worker then stops once its attempts are over.
  bool stop_when_connected = false;
};

// One thread with its own Loop and driver, serving a contiguous range of the
// connections.
//
// The main thread steers it by posting tasks to its loop (start, measuring,
// snapshot, stop): Loop::post() is the only way into another thread's loop.
// The thread reports back through its WorkerShared. Its Loop lives until
// release(), so the main thread may post up to then even when the loop has
// already returned (the task then never runs; `done` tells it not to wait).
class LoadWorker {
 public:
  LoadWorker(const LoadOptions& options, const Payload& payload, Coordinator& coordinator,
             std::size_t first_connection, std::size_t connection_count);
  ~LoadWorker();  // joins the thread; call release() first

  LoadWorker(const LoadWorker&) = delete;
  LoadWorker& operator=(const LoadWorker&) = delete;

  void launch();

  // Main thread only, after `connected` or `done`, and before release().
  // Before `connected`, the main thread sets stop_when_connected instead of
  // calling stop().
  void start(bool measuring);
  void begin_measuring();
  void request_snapshot(std::uint64_t generation);
  void stop();

  // Lets the thread destroy its loop and end. Main thread; takes the lock.
  void release();

  // Guarded by the coordinator's mutex.
  WorkerShared& shared() noexcept { return shared_; }

 private:
  void run();
  void halt();            // stop()'s work, on the loop's thread
  void publish_totals();  // with the lock held

  const LoadOptions& options_;
  const Payload& payload_;
  Coordinator& coordinator_;
  const std::size_t first_connection_;
  const std::size_t connection_count_;

  // The worker thread's own; the main thread only calls loop_->post().
  std::optional<eddy::Loop> loop_;
  ThreadStats stats_;
  std::unique_ptr<LoadDriver> driver_;

  WorkerShared shared_;
  std::thread thread_;
};

}  // namespace eddy_load
