#pragma once

#include "cpu_usage.hpp"
#include "interrupt_request.hpp"
#include "load_options.hpp"
#include "load_stats.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace eddy_load {

// One line of live progress: the figures of the last interval.
struct ProgressSample {
  std::chrono::nanoseconds elapsed{0};   // since the load started
  std::chrono::nanoseconds interval{0};  // covered by `figures`
  const LoadFigures& figures;
  bool warming_up = false;
};

// Where a run was when a signal ended it.
enum class RunPhase { kConnecting, kWarmup, kMeasuring };

// Everything a run measured, for the report.
struct LoadResult {
  std::size_t threads = 0;
  std::string backend;
  std::size_t open_connections = 0;  // established by the end of the connect phase
  std::chrono::nanoseconds measured{0};  // the measured interval (after the warmup)
  LoadFigures figures;  // messages, bytes and latency of the measured interval
  ErrorCounts errors;   // of the whole run
  FirstErrors first_errors;

  std::optional<CpuTime> generator_cpu;  // over the measured interval
  std::optional<CpuTime> server_cpu;     // with --server-pid
  std::string server_cpu_error;          // why server_cpu is missing

  bool time_limit_before_count = false;  // --messages not reached by --duration
  bool stalled = false;                  // --messages: no reply for kStallTimeout
  bool threads_stuck = false;            // a worker did not stop: the process must _Exit
  std::string failure;                   // a worker could not run (e.g. no event loop)

  int interrupted_by = 0;                          // SIGINT or SIGTERM when a signal ended the run early; else 0
  RunPhase interrupted_in = RunPhase::kMeasuring;  // with interrupted_by; kMeasuring also for the stop
};

// With --messages and no --duration, a run with messages in flight and no
// reply for this long ends as stalled rather than hanging.
inline constexpr std::chrono::seconds kStallTimeout{10};

// Runs the load: starts the worker threads, connects, warms up, measures,
// stops them and gathers their figures. Calls `on_progress` on this thread
// about once per second when given. Never takes longer than the connect
// timeout + warmup + duration + a few seconds: a worker that does not stop
// is left behind with threads_stuck set.
//
// A request on `interrupt` (from any thread, even before the call) ends
// the connect phase, the warmup or the measurement at once: the workers
// are stopped as at the end of the duration, and the result holds what was
// measured up to then, with interrupted_by set. The stop itself still
// takes up to a few seconds (the drain; a worker still connecting stops
// once its attempts end, or is left behind with threads_stuck).
LoadResult run_load(const LoadOptions& options, const std::function<void(const ProgressSample&)>& on_progress,
                    InterruptRequest& interrupt);

}  // namespace eddy_load
