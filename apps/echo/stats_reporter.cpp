#include "stats_reporter.hpp"

#include "echo_log.hpp"

#include <eddy/loop.hpp>

#include <chrono>
#include <cstdio>

namespace eddy_echo {

std::string format_stats(eddy::Duration elapsed, const StatsSample& previous, const StatsSample& current) {
  char interval[32];
  std::snprintf(interval, sizeof interval, "%.3f", std::chrono::duration<double>(elapsed).count());
  std::string line = "stats interval=";
  line += interval;
  line += 's';
  for (std::size_t i = 0; i < current.size(); ++i) {
    const StatsField& field = current[i];
    line += ' ';
    line += field.name;
    line += '=';
    if (field.gauge) {
      line += std::to_string(field.value);
      continue;
    }
    const std::uint64_t before = i < previous.size() ? previous[i].value : 0;
    line += std::to_string(field.value - before);
    line += '/';
    line += std::to_string(field.value);
  }
  return line;
}

StatsReporter::StatsReporter(eddy::Loop& loop, eddy::Duration interval, Sampler sample)
    : interval_(interval), sample_(std::move(sample)), timer_(loop, [this] { on_tick(); }) {}

void StatsReporter::start() {
  previous_ = sample_();
  for (StatsField& field : previous_) {
    field.value = field.gauge ? field.value : 0;  // the first line's deltas count from the start
  }
  previous_time_ = eddy::Clock::now();
  timer_.start(interval_, interval_);
}

void StatsReporter::on_tick() {
  StatsSample current = sample_();
  const eddy::TimePoint now = eddy::Clock::now();
  report(format_stats(now - previous_time_, previous_, current));
  previous_ = std::move(current);
  previous_time_ = now;
}

}  // namespace eddy_echo
