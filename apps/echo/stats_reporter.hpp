#pragma once

#include <eddy/clock.hpp>
#include <eddy/function.hpp>
#include <eddy/timer.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eddy {
class Loop;
}

namespace eddy_echo {

// One named number of a stats line. A gauge (open connections) is printed
// as it is; a counter as "delta/total": what happened in this interval,
// then since the start.
struct StatsField {
  std::string_view name;  // a string literal
  std::uint64_t value = 0;
  bool gauge = false;
};
using StatsSample = std::vector<StatsField>;

// "stats interval=1.000s open=3 accepted=2/10 ...": `previous` and `current`
// list the same fields in the same order (the first sample is all zeros).
std::string format_stats(eddy::Duration elapsed, const StatsSample& previous, const StatsSample& current);

// Prints format_stats() with report() every `interval`, on the loop's
// thread, from the samples `sample` takes. Loop thread only.
class StatsReporter {
 public:
  using Sampler = eddy::Function<StatsSample()>;

  StatsReporter(eddy::Loop& loop, eddy::Duration interval, Sampler sample);

  StatsReporter(const StatsReporter&) = delete;
  StatsReporter& operator=(const StatsReporter&) = delete;

  // Takes the starting sample and arms the repeating timer.
  void start();
  // No more lines (and no more samples) after this.
  void stop() noexcept { timer_.stop(); }

 private:
  void on_tick();

  eddy::Duration interval_;
  Sampler sample_;
  eddy::Timer timer_;
  StatsSample previous_;
  eddy::TimePoint previous_time_{};
};

}  // namespace eddy_echo
