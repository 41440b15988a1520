// Timer costs: arming and disarming many timers (apart and together), firing
// many timers, and refresh() (the idle-timeout re-arm done on every read)
// against restart().
//
// Times are wall-clock (UseManualTime) around the measured part only; each
// benchmark reports a per-operation figure in ns as a counter. The loop uses
// its default backend (EDDY_BACKEND, else epoll): only BM_TimerFire waits in
// the backend, once per 100 000 timers.
#include <eddy/clock.hpp>
#include <eddy/loop.hpp>
#include <eddy/timer.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

using Timers = std::vector<std::optional<eddy::Timer>>;

// Timeouts drawn uniformly from [low, high], the same sequence on every run.
std::vector<eddy::Duration> random_timeouts(std::size_t count, eddy::Duration low, eddy::Duration high) {
  std::mt19937_64 random(20240601);
  std::uniform_int_distribution<eddy::Duration::rep> pick(low.count(), high.count());
  std::vector<eddy::Duration> out(count);
  for (eddy::Duration& timeout : out) {
    timeout = eddy::Duration(pick(random));
  }
  return out;
}

double seconds(eddy::Duration d) { return std::chrono::duration<double>(d).count(); }

void report_ns_per(benchmark::State& state, const char* name, eddy::Duration total, std::int64_t operations) {
  if (operations > 0) {
    state.counters[name] = static_cast<double>(total.count()) / static_cast<double>(operations);
  }
}

// start() then stop() of N timers with random timeouts between 1 ms and
// 60 s: the heap grows to N entries and shrinks back to empty.
void BM_TimerStartStop(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  eddy::Loop loop;
  Timers timers(count);
  for (auto& timer : timers) {
    timer.emplace(loop, [] {});
  }
  const std::vector<eddy::Duration> timeouts = random_timeouts(count, 1ms, 60s);
  eddy::Duration total{};
  for (auto _ : state) {
    const eddy::TimePoint start = eddy::Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
      timers[i]->start(timeouts[i]);
    }
    for (auto& timer : timers) {
      timer->stop();
    }
    const eddy::Duration elapsed = eddy::Clock::now() - start;
    state.SetIterationTime(seconds(elapsed));
    total += elapsed;
  }
  report_ns_per(state, "ns_per_start_stop", total, state.iterations() * static_cast<std::int64_t>(count));
}
BENCHMARK(BM_TimerStartStop)->ArgName("timers")->Arg(1'000'000)->UseManualTime()->Unit(benchmark::kMillisecond);

// start() of N timers with random timeouts between 1 ms and 60 s into an
// empty heap; then (not timed) stop() of all of them.
void BM_TimerStart(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  eddy::Loop loop;
  Timers timers(count);
  for (auto& timer : timers) {
    timer.emplace(loop, [] {});
  }
  const std::vector<eddy::Duration> timeouts = random_timeouts(count, 1ms, 60s);
  eddy::Duration total{};
  for (auto _ : state) {
    const eddy::TimePoint start = eddy::Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
      timers[i]->start(timeouts[i]);
    }
    const eddy::Duration elapsed = eddy::Clock::now() - start;
    state.SetIterationTime(seconds(elapsed));
    total += elapsed;
    for (auto& timer : timers) {
      timer->stop();
    }
  }
  report_ns_per(state, "ns_per_start", total, state.iterations() * static_cast<std::int64_t>(count));
}
BENCHMARK(BM_TimerStart)->ArgName("timers")->Arg(1'000'000)->UseManualTime()->Unit(benchmark::kMillisecond);

// The cancel: (not timed) start() of N timers with random timeouts between
// 1 ms and 60 s, then stop() of all of them in the order they were started,
// which is not heap order: each removal takes an entry from the middle of a
// heap of up to N.
void BM_TimerStop(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  eddy::Loop loop;
  Timers timers(count);
  for (auto& timer : timers) {
    timer.emplace(loop, [] {});
  }
  const std::vector<eddy::Duration> timeouts = random_timeouts(count, 1ms, 60s);
  eddy::Duration total{};
  for (auto _ : state) {
    for (std::size_t i = 0; i < count; ++i) {
      timers[i]->start(timeouts[i]);
    }
    const eddy::TimePoint start = eddy::Clock::now();
    for (auto& timer : timers) {
      timer->stop();
    }
    const eddy::Duration elapsed = eddy::Clock::now() - start;
    state.SetIterationTime(seconds(elapsed));
    total += elapsed;
  }
  report_ns_per(state, "ns_per_stop", total, state.iterations() * static_cast<std::int64_t>(count));
}
BENCHMARK(BM_TimerStop)->ArgName("timers")->Arg(1'000'000)->UseManualTime()->Unit(benchmark::kMillisecond);

// N timers with random timeouts between 0 and 1 ms are started (not timed),
// all become due, and the loop fires them: one wait in the backend, then N
// heap pops and callbacks in deadline order.
void BM_TimerFire(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  eddy::Loop loop;
  std::size_t fired = 0;
  Timers timers(count);
  for (auto& timer : timers) {
    timer.emplace(loop, [&fired] { ++fired; });
  }
  const std::vector<eddy::Duration> timeouts = random_timeouts(count, 0ms, 1ms);
  eddy::Duration total{};
  for (auto _ : state) {
    for (std::size_t i = 0; i < count; ++i) {
      timers[i]->start(timeouts[i]);
    }
    std::this_thread::sleep_for(1ms);  // every deadline is now in the past
    fired = 0;
    const eddy::TimePoint start = eddy::Clock::now();
    while (fired < count) {
      loop.run_once(eddy::Duration::zero());
    }
    const eddy::Duration elapsed = eddy::Clock::now() - start;
    state.SetIterationTime(seconds(elapsed));
    total += elapsed;
  }
  report_ns_per(state, "ns_per_fire", total, state.iterations() * static_cast<std::int64_t>(count));
}
BENCHMARK(BM_TimerFire)
    ->ArgName("timers")
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// N active 30 s idle timers, as a server with N connections has; each
// iteration re-arms kBatch of them round-robin, the way a connection bumps
// its idle timeout on every read. Loop::now() stays put during the batch, as
// it does within one loop iteration.
constexpr std::int64_t kBatch = 1000;

template <typename Rearm>
void rearm_benchmark(benchmark::State& state, Rearm rearm) {
  const auto count = static_cast<std::size_t>(state.range(0));
  eddy::Loop loop;
  Timers timers(count);
  for (auto& timer : timers) {
    timer.emplace(loop, [] {});
    timer->start(30s);
  }
  // Moves Loop::now() past every start(), so that refresh() moves deadlines
  // later (its cheap path) rather than earlier.
  loop.run_once(eddy::Duration::zero());
  std::size_t next = 0;
  eddy::Duration total{};
  for (auto _ : state) {
    const eddy::TimePoint start = eddy::Clock::now();
    for (std::int64_t i = 0; i < kBatch; ++i) {
      rearm(*timers[next]);
      next = next + 1 == count ? 0 : next + 1;
    }
    const eddy::Duration elapsed = eddy::Clock::now() - start;
    state.SetIterationTime(seconds(elapsed));
    total += elapsed;
  }
  report_ns_per(state, "ns_per_call", total, state.iterations() * kBatch);
}

// refresh(): records the later deadline; the heap is fixed up only when the
// old deadline is reached (not measured here: once per timeout, not per read).
void BM_TimerRefresh(benchmark::State& state) {
  rearm_benchmark(state, [](eddy::Timer& timer) { timer.refresh(); });
}
BENCHMARK(BM_TimerRefresh)
    ->ArgName("timers")
    ->Arg(1)
    ->Arg(10'000)
    ->Arg(1'000'000)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// restart(), for comparison: reads the clock and moves the timer in the heap.
void BM_TimerRestart(benchmark::State& state) {
  rearm_benchmark(state, [](eddy::Timer& timer) { timer.restart(); });
}
BENCHMARK(BM_TimerRestart)
    ->ArgName("timers")
    ->Arg(1)
    ->Arg(10'000)
    ->Arg(1'000'000)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
