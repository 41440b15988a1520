// Event dispatch cost through libevent's API, in the shape of libevent's
// test/bench.c (dispatch_shape.hpp describes the work, the same as
// eddy-bench-dispatch's). Built twice from this one source:
//
//   eddy-bench-dispatch-compat    against eddy's compat layer (eddy_event)
//   eddy-bench-dispatch-libevent  against Debian's libevent (pkg-config
//                                 libevent), when it is installed
//
// Every pair's read end gets one event_new(EV_READ | EV_PERSIST), added once;
// the non-blocking pass is event_base_loop(EVLOOP_ONCE | EVLOOP_NONBLOCK).
// The base is event_base_new()'s default: epoll on both, unless the
// environment says otherwise (EDDY_BACKEND, EVENT_NOEPOLL); each case's label
// is event_base_get_method().
#include "dispatch_shape.hpp"

#include <event2/event.h>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#ifndef EDDY_BENCH_EVENT_IMPL
#error "define EDDY_BENCH_EVENT_IMPL: compat or libevent"
#endif

namespace {

struct Slot {
  eddy_bench::Chain* chain;
  std::size_t index;
};

void on_event(evutil_socket_t /*fd*/, short what, void* arg) {
  auto* slot = static_cast<Slot*>(arg);
  eddy_bench::on_readable(*slot->chain, slot->index, (what & EV_READ) == 0);
}

void BM_Dispatch(benchmark::State& state) {
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

  event_base* base = event_base_new();
  if (base == nullptr) {
    state.SkipWithError("event_base_new failed");
    return;
  }
  state.SetLabel(event_base_get_method(base));
  eddy_bench::Chain chain{.pairs = &pairs};
  std::vector<Slot> slots(pairs.size());
  std::vector<event*> events(pairs.size(), nullptr);
  bool ok = true;
  for (std::size_t i = 0; i < pairs.size() && ok; ++i) {
    slots[i] = Slot{&chain, i};
    events[i] = event_new(base, pairs.read_fd(i), EV_READ | EV_PERSIST, on_event, &slots[i]);
    ok = events[i] != nullptr && event_add(events[i], nullptr) == 0;
  }
  if (!ok) {
    state.SkipWithError("event_new or event_add failed");
  } else {
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);  // as bench.c, one idle pass before measuring
    eddy_bench::measure(state, chain, active, writes, [base] { event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK); });
  }
  for (event* ev : events) {
    if (ev != nullptr) {
      event_free(ev);
    }
  }
  event_base_free(base);
}

}  // namespace

int main(int argc, char** argv) {
  eddy_bench::raise_fd_limit();
  for (const std::int64_t pipes : {100, 1000, 10000}) {
    for (const std::int64_t active : {1, 100}) {
      if (active > pipes) {
        continue;
      }
      benchmark::RegisterBenchmark("BM_Dispatch/" EDDY_BENCH_EVENT_IMPL, BM_Dispatch)
          ->ArgNames({"pipes", "active", "writes"})
          ->Args({pipes, active, eddy_bench::kWrites})
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  benchmark::AddCustomContext("event_api", EDDY_BENCH_EVENT_IMPL);
  benchmark::AddCustomContext("event_get_version", event_get_version());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
