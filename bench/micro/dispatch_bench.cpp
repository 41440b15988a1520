// Event dispatch cost through eddy::Loop and IoWatcher, in the shape of
// libevent's test/bench.c (dispatch_shape.hpp describes the work, which
// eddy-bench-dispatch-compat and eddy-bench-dispatch-libevent share).
//
// Each pipes/active case runs on epoll and then on poll, back to back, so
// that the two backends are compared under the same machine conditions. The
// non-blocking pass is run_once(Duration::zero()).
#include "dispatch_shape.hpp"

#include <eddy/io_events.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace {

void BM_Dispatch(benchmark::State& state, const std::string& backend) {
  const std::int64_t pipes = state.range(0);
  const std::int64_t active = state.range(1);
  const std::int64_t writes = state.range(2);
  if (std::string error = eddy_bench::check_fd_limit(pipes); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  eddy_bench::SocketPairs pairs;
  if (std::string error = pairs.open(pipes); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }

  eddy::Loop loop(eddy::LoopOptions{.backend = backend});
  eddy_bench::Chain chain{.pairs = &pairs};
  // Declared after the loop: destroyed (and so stopped) before it.
  std::vector<std::optional<eddy::IoWatcher>> watchers(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    watchers[i].emplace(loop, pairs.read_fd(i), [&chain, i](unsigned events) {
      eddy_bench::on_readable(chain, i, (events & (eddy::kError | eddy::kHangup)) != 0U);
    });
    watchers[i]->start(eddy::kReadable);
  }
  loop.run_once(eddy::Duration::zero());  // as bench.c, one idle pass before measuring

  eddy_bench::measure(state, chain, active, writes, [&loop] { loop.run_once(eddy::Duration::zero()); });
}

}  // namespace

int main(int argc, char** argv) {
  eddy_bench::raise_fd_limit();
  for (const std::int64_t pipes : {100, 1000, 10000}) {
    for (const std::int64_t active : {1, 100}) {
      if (active > pipes) {
        continue;
      }
      for (const char* backend : {"epoll", "poll"}) {
        const std::string name = std::string("BM_Dispatch/") + backend;
        benchmark::RegisterBenchmark(name.c_str(), BM_Dispatch, std::string(backend))
            ->ArgNames({"pipes", "active", "writes"})
            ->Args({pipes, active, eddy_bench::kWrites})
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
