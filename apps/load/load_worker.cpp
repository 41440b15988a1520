#include "load_worker.hpp"

#include <exception>
#include <utility>

namespace eddy_load {

LoadWorker::LoadWorker(const LoadOptions& options, const Payload& payload, Coordinator& coordinator,
                       std::size_t first_connection, std::size_t connection_count)
    : options_(options),
      payload_(payload),
      coordinator_(coordinator),
      first_connection_(first_connection),
      connection_count_(connection_count) {}

LoadWorker::~LoadWorker() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void LoadWorker::launch() {
  thread_ = std::thread([this] { run(); });
}

void LoadWorker::run() {
  std::string failure;
  try {
    // Built on this thread, so that the loop and every watcher belong to it.
    loop_.emplace(eddy::LoopOptions{options_.backend});
    {
      // Now, not once connected: an interrupt may end the run before that.
      const std::lock_guard lock(coordinator_.mutex);
      shared_.backend = loop_->backend_name();
    }
    driver_ = make_driver(DriverContext{*loop_, options_, payload_, stats_, first_connection_, connection_count_});
    driver_->connect([this] {
      const std::lock_guard lock(coordinator_.mutex);
      shared_.connected = true;
      shared_.open_connections = driver_->open_connections();
      coordinator_.changed.notify_all();
      if (shared_.stop_when_connected) {
        // Posted, not called: this runs inside the driver's connect
        // callback, and halt() takes the lock.
        loop_->post([this] { halt(); });
      }
    });
    loop_->run();
  } catch (const std::exception& e) {
    failure = e.what();
  }

  std::unique_lock lock(coordinator_.mutex);
  publish_totals();
  shared_.failure = std::move(failure);
  shared_.done = true;
  shared_.finished_at = eddy::Clock::now();
  coordinator_.changed.notify_all();
  coordinator_.changed.wait(lock, [this] { return shared_.released; });
  lock.unlock();
  // The driver's watchers and timers unregister from the loop, so they go
  // first, on the thread they belong to.
  driver_.reset();
  loop_.reset();
}

void LoadWorker::publish_totals() {
  shared_.measured = stats_.measured();
  shared_.errors = stats_.errors();
  shared_.first_errors = stats_.first_errors();
}

void LoadWorker::start(bool measuring) {
  loop_->post([this, measuring] {
    stats_.set_measuring(measuring);
    driver_->start();
  });
}

void LoadWorker::begin_measuring() {
  loop_->post([this] { stats_.set_measuring(true); });
}

void LoadWorker::request_snapshot(std::uint64_t generation) {
  loop_->post([this, generation] {
    const std::lock_guard lock(coordinator_.mutex);
    // Copies into storage of the same size: no allocation.
    shared_.interval = stats_.interval();
    stats_.interval().reset();
    shared_.snapshot_generation = generation;
    coordinator_.changed.notify_all();
  });
}

void LoadWorker::stop() {
  loop_->post([this] { halt(); });
}

void LoadWorker::halt() {
  stats_.set_measuring(false);
  stats_.stop();
  {
    // The figures as of the end of the measured interval, in case the
    // drain does not finish in time.
    const std::lock_guard lock(coordinator_.mutex);
    publish_totals();
    coordinator_.changed.notify_all();
  }
  driver_->stop();
}

void LoadWorker::release() {
  const std::lock_guard lock(coordinator_.mutex);
  shared_.released = true;
  coordinator_.changed.notify_all();
}

}  // namespace eddy_load
