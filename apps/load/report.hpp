#pragma once

#include "load_options.hpp"
#include "load_runner.hpp"

#include <cstdio>
#include <optional>
#include <string>

namespace eddy_load {

// The derived figures of a run, as both the table and the JSON show them.
struct Summary {
  double seconds = 0;          // the measured interval
  double msgs_per_sec = 0;
  double mb_per_sec = 0;       // payload, 10^6 bytes, counted one way
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double max_us = 0;
  double generator_cpu_percent = 0;  // of one core: 200 = two cores busy
  double generator_cpu_percent_per_thread = 0;
  std::optional<double> server_cpu_seconds;
  std::optional<double> server_cpu_us_per_msg;  // absent when no message completed
};

Summary summarize(const LoadResult& result);

// Above this share of a core per worker thread, the generator may be what
// limits the figures, and the report says so.
inline constexpr double kGeneratorBusyPercent = 90.0;

// One progress line, without the trailing newline:
//   "  3.0 s   41152 msg/s    2.63 MB/s   p50 23.1 us   p99 45.0 us   errors 0"
std::string format_progress(const ProgressSample& sample);

// The summary table, for people.
void print_table(std::FILE* out, const LoadOptions& options, const LoadResult& result, const Summary& summary);

// One JSON object on one line, for scripts.
void print_json(std::FILE* out, const LoadOptions& options, const LoadResult& result, const Summary& summary);

}  // namespace eddy_load
