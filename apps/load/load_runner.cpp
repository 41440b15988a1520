#include "load_runner.hpp"

#include "load_driver.hpp"
#include "load_worker.hpp"
#include "payload.hpp"

#include <eddy/clock.hpp>

#include <algorithm>
#include <memory>
#include <vector>

namespace eddy_load {

namespace {

using std::chrono::seconds;
using Workers = std::vector<std::unique_ptr<LoadWorker>>;

// Beyond the connect timeout, for threads to start and report.
constexpr seconds kConnectSlack{5};
// Beyond kDrainTimeout, for threads to close and report after the stop.
constexpr seconds kStopSlack{2};
constexpr seconds kSnapshotTimeout{1};
constexpr seconds kTick{1};

// Reads of the CPU clocks at the start or the end of the measured interval.
struct CpuMark {
  CpuTime own{};
  std::optional<CpuTime> server;
  std::string server_error;
};

CpuMark read_cpu(const LoadOptions& options) {
  CpuMark mark;
  mark.own = own_cpu_time();
  if (options.server_pid) {
    std::error_code error;
    mark.server = process_cpu_time(*options.server_pid, error);
    if (!mark.server) {
      mark.server_error = "cannot read /proc/" + std::to_string(*options.server_pid) + "/stat: " + error.message();
    }
  }
  return mark;
}

class Runner {
 public:
  Runner(const LoadOptions& options, const std::function<void(const ProgressSample&)>& on_progress,
         InterruptRequest& interrupt)
      : options_(options), on_progress_(on_progress), interrupt_(interrupt), payload_(options.size) {
    interrupt_.listen([this](int signo) {
      const std::lock_guard lock(coordinator_.mutex);
      interrupted_by_ = signo;
      coordinator_.changed.notify_all();
    });
  }
  ~Runner() { interrupt_.listen(nullptr); }

  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  LoadResult run();

 private:
  template <typename Predicate>
  bool wait_until(eddy::TimePoint deadline, Predicate done_waiting) {
    std::unique_lock lock(coordinator_.mutex);
    return coordinator_.changed.wait_until(lock, deadline, done_waiting);
  }
  // With the lock held, as in wait_until's predicates.
  bool all_done() const {
    return std::all_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->shared().done; });
  }
  // Takes the lock; predicates read interrupted_by_ instead.
  bool interrupted() {
    const std::lock_guard lock(coordinator_.mutex);
    return interrupted_by_ != 0;
  }
  // Posts to each worker whose loop exists and may still run tasks.
  template <typename Action>
  void post_to_live(Action action) {
    const std::lock_guard lock(coordinator_.mutex);
    for (const auto& worker : workers_) {
      if (worker->shared().connected && !worker->shared().done) {
        action(*worker);
      }
    }
  }
  void launch_workers();
  // Sums the connections the workers opened; with the lock held.
  void count_connections(LoadResult& result) const;
  // Warmup and measured interval, up to the duration, the message count, a
  // stall or an interrupt. Returns whether the duration ran out.
  bool measure(LoadResult& result);
  // One progress snapshot; returns the messages it counted.
  std::uint64_t take_snapshot(eddy::TimePoint start, eddy::TimePoint& last, bool warming_up);
  void stop_workers(LoadResult& result);

  const LoadOptions& options_;
  const std::function<void(const ProgressSample&)>& on_progress_;
  InterruptRequest& interrupt_;
  const Payload payload_;
  Coordinator coordinator_;
  int interrupted_by_ = 0;  // guarded by coordinator_.mutex; set from the signal thread
  Workers workers_;
  std::uint64_t generation_ = 0;
  LoadFigures progress_;  // the merged interval figures, reused every second
};

void Runner::launch_workers() {
  const std::size_t threads = std::min(options_.threads, options_.connections);
  std::size_t first = 0;
  for (std::size_t t = 0; t < threads; ++t) {
    const std::size_t count = options_.connections / threads + (t < options_.connections % threads ? 1 : 0);
    workers_.push_back(std::make_unique<LoadWorker>(options_, payload_, coordinator_, first, count));
    first += count;
  }
  for (const auto& worker : workers_) {
    worker->launch();
  }
}

std::uint64_t Runner::take_snapshot(eddy::TimePoint start, eddy::TimePoint& last, bool warming_up) {
  const std::uint64_t generation = ++generation_;
  post_to_live([generation](LoadWorker& worker) { worker.request_snapshot(generation); });
  wait_until(eddy::Clock::now() + kSnapshotTimeout, [&] {
    return std::all_of(workers_.begin(), workers_.end(), [&](const auto& w) {
      return w->shared().snapshot_generation == generation || w->shared().done || !w->shared().connected;
    });
  });
  const eddy::TimePoint now = eddy::Clock::now();
  progress_.reset();
  {
    const std::lock_guard lock(coordinator_.mutex);
    for (const auto& worker : workers_) {
      if (worker->shared().snapshot_generation == generation) {
        progress_.merge(worker->shared().interval);
      }
    }
  }
  if (on_progress_) {
    on_progress_(ProgressSample{now - start, now - last, progress_, warming_up});
  }
  last = now;
  return progress_.messages;
}

void Runner::count_connections(LoadResult& result) const {
  result.open_connections = 0;
  for (const auto& worker : workers_) {
    result.open_connections += worker->shared().open_connections;
    if (result.backend.empty()) {
      result.backend = worker->shared().backend;
    }
  }
}

void Runner::stop_workers(LoadResult& result) {
  {
    const std::lock_guard lock(coordinator_.mutex);
    for (const auto& worker : workers_) {
      WorkerShared& shared = worker->shared();
      if (shared.connected && !shared.done) {
        worker->stop();
      } else if (!shared.done) {
        // An interrupt cut the connect phase short: its loop may not even
        // exist yet, so it stops itself once its attempts are over.
        shared.stop_when_connected = true;
      }
    }
  }
  const bool stopped = wait_until(eddy::Clock::now() + kDrainTimeout + kStopSlack, [this] { return all_done(); });
  const std::lock_guard lock(coordinator_.mutex);
  // Again: workers that an interrupt left connecting have finished since.
  count_connections(result);
  result.interrupted_by = interrupted_by_;
  for (const auto& worker : workers_) {
    const WorkerShared& shared = worker->shared();
    result.figures.merge(shared.measured);
    result.errors += shared.errors;
    result.first_errors.merge(shared.first_errors);
    if (result.failure.empty()) {
      result.failure = shared.failure;
    }
  }
  if (!stopped) {
    // A worker that does not return cannot be joined, and a joinable
    // std::thread may not be destroyed: leave them all for the process's
    // exit, which the caller makes without running destructors.
    result.threads_stuck = true;
    for (auto& worker : workers_) {
      static_cast<void>(worker.release());
    }
    workers_.clear();
  }
}

LoadResult Runner::run() {
  LoadResult result;
  launch_workers();
  result.threads = workers_.size();

  // Connect phase: every attempt ends by itself within the connect timeout.
  wait_until(eddy::Clock::now() + options_.connect_timeout + kConnectSlack, [this] {
    return interrupted_by_ != 0 || std::all_of(workers_.begin(), workers_.end(),
                                               [](const auto& w) { return w->shared().connected || w->shared().done; });
  });
  {
    const std::lock_guard lock(coordinator_.mutex);
    count_connections(result);
  }
  bool duration_ran_out = false;
  if (interrupted()) {
    result.interrupted_in = RunPhase::kConnecting;  // nothing measured, no CPU read
  } else {
    duration_ran_out = measure(result);
  }

  stop_workers(result);
  result.time_limit_before_count =
      options_.messages && duration_ran_out && result.figures.messages < *options_.messages;
  for (const auto& worker : workers_) {
    worker->release();
  }
  workers_.clear();  // joins
  return result;
}

bool Runner::measure(LoadResult& result) {
  const eddy::TimePoint start = eddy::Clock::now();
  eddy::TimePoint measure_begin = start + options_.warmup;
  bool warming_up = options_.warmup.count() > 0;
  CpuMark begin_mark;
  if (!warming_up) {
    begin_mark = read_cpu(options_);
  }
  if (result.open_connections > 0) {
    post_to_live([warming_up](LoadWorker& worker) { worker.start(!warming_up); });
  }
  // TimePoint::max() when only a message count ends the run. (Not an
  // optional: GCC 12 -O3 then reports a false -Wmaybe-uninitialized.)
  const eddy::TimePoint end = options_.duration ? measure_begin + *options_.duration : eddy::TimePoint::max();
  const bool watch_stall = options_.messages && !options_.duration;
  const bool want_snapshots = on_progress_ || watch_stall;

  eddy::TimePoint last_tick = start;
  eddy::TimePoint last_reply = start;
  while (true) {
    eddy::TimePoint wake = last_tick + kTick;
    if (warming_up) {
      wake = std::min(wake, measure_begin);
    }
    wake = std::min(wake, end);
    if (wait_until(wake, [this] { return all_done() || interrupted_by_ != 0; })) {
      break;  // every connection finished (message count reached, or all failed), or a signal
    }
    const eddy::TimePoint now = eddy::Clock::now();
    if (warming_up && now >= measure_begin) {
      post_to_live([](LoadWorker& worker) { worker.begin_measuring(); });
      begin_mark = read_cpu(options_);
      measure_begin = now;
      warming_up = false;
    }
    if (now >= last_tick + kTick) {
      if (want_snapshots && take_snapshot(start, last_tick, warming_up) > 0) {
        last_reply = last_tick;
      }
      last_tick = want_snapshots ? last_tick : now;
      if (watch_stall && last_tick - last_reply >= kStallTimeout) {
        result.stalled = true;
        break;
      }
    }
    if (now >= end) {
      break;
    }
  }
  if (warming_up && interrupted()) {
    result.interrupted_in = RunPhase::kWarmup;
  }

  // The measured interval ends when the last worker finished by itself, or
  // now, at the duration, a stall or an interrupt.
  eddy::TimePoint finish = eddy::Clock::now();
  if (wait_until(finish, [this] { return all_done(); })) {
    const std::lock_guard lock(coordinator_.mutex);
    finish = measure_begin;
    for (const auto& worker : workers_) {
      finish = std::max(finish, worker->shared().finished_at);
    }
  }
  const CpuMark end_mark = read_cpu(options_);
  if (warming_up) {
    begin_mark = end_mark;  // ended during the warmup: nothing measured
    finish = measure_begin = eddy::Clock::now();
  }
  result.measured = std::max(finish - measure_begin, eddy::Duration::zero());
  result.generator_cpu = end_mark.own - begin_mark.own;
  if (begin_mark.server && end_mark.server) {
    result.server_cpu = *end_mark.server - *begin_mark.server;
  } else if (options_.server_pid) {
    result.server_cpu_error = !begin_mark.server_error.empty() ? begin_mark.server_error : end_mark.server_error;
  }
  return finish >= end;
}

}  // namespace

LoadResult run_load(const LoadOptions& options, const std::function<void(const ProgressSample&)>& on_progress,
                    InterruptRequest& interrupt) {
  auto runner = std::make_unique<Runner>(options, on_progress, interrupt);
  LoadResult result = runner->run();
  if (result.threads_stuck) {
    // The stuck threads still use the payload and the coordinator: keep
    // them until the process exits.
    static_cast<void>(runner.release());
  }
  return result;
}

}  // namespace eddy_load
