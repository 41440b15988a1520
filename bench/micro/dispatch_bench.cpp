// Event dispatch cost, in the shape of libevent's test/bench.c.
//
// `pipes` AF_UNIX stream socketpairs, non-blocking, each with an IoWatcher on
// its read end. Each benchmark iteration writes one byte into `active` of
// them, spread evenly (every pipes/active-th pair, as bench.c does). Each
// callback reads its byte and, while the iteration's budget of `writes`
// remains, writes one byte into the next pair, so events chain from fd to fd.
// The loop runs non-blocking iterations (run_once(0), bench.c's
// EVLOOP_ONCE | EVLOOP_NONBLOCK) until every byte written in the iteration
// has been read: active + writes dispatched events per iteration.
//
// The time is wall-clock time from after the seeding writes to the last read
// (UseManualTime), as bench.c measures. It includes one recv() per event and
// one send() per chained write, so ns_per_event is the cost of an event to a
// program that does the least possible work with it, not the loop's overhead
// alone.
//
// bench.c's defaults are -n 100 -a 1 -w 100; its usual sweep goes to 10 000
// pipes and 100 active, which needs 20 000 fds plus a few for the loop.
#include <eddy/clock.hpp>
#include <eddy/io_events.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>

#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

// Besides the socketpairs: stdio, the backend's fd, the loop's eventfd, and
// whatever Google Benchmark keeps open.
constexpr rlim_t kSpareFds = 32;
constexpr std::int64_t kWrites = 100;

// Raises the soft RLIMIT_NOFILE to the hard limit. Done once, before any
// benchmark runs; a benchmark that still does not fit reports why.
void raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Empty when `needed` fds fit under the soft limit, else a message for
// SkipWithError.
std::string check_fd_limit(rlim_t needed, std::int64_t pipes) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno);
  }
  if (limit.rlim_cur >= needed) {
    return {};
  }
  return std::to_string(pipes) + " socketpairs need " + std::to_string(needed) + " fds, but RLIMIT_NOFILE is " +
         std::to_string(limit.rlim_cur) + " (hard limit " + std::to_string(limit.rlim_max) +
         "); raise the hard limit (ulimit -Hn, prlimit) to run this case";
}

// The socketpairs: read_fds[i] is watched, write_fds[i] is its peer.
class SocketPairs {
 public:
  SocketPairs() = default;
  SocketPairs(const SocketPairs&) = delete;
  SocketPairs& operator=(const SocketPairs&) = delete;
  ~SocketPairs() {
    for (int fd : read_fds_) {
      ::close(fd);
    }
    for (int fd : write_fds_) {
      ::close(fd);
    }
  }

  // Empty on success, else what failed.
  std::string open(std::int64_t count) {
    read_fds_.reserve(static_cast<std::size_t>(count));
    write_fds_.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) {
      int pair[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
        return "socketpair #" + std::to_string(i) + ": " + std::strerror(errno);
      }
      read_fds_.push_back(pair[0]);
      write_fds_.push_back(pair[1]);
    }
    return {};
  }

  int read_fd(std::size_t i) const noexcept { return read_fds_[i]; }
  int write_fd(std::size_t i) const noexcept { return write_fds_[i]; }
  std::size_t size() const noexcept { return read_fds_.size(); }

 private:
  std::vector<int> read_fds_;
  std::vector<int> write_fds_;
};

// What the callbacks share during one iteration (bench.c's globals).
struct Chain {
  const SocketPairs* pairs = nullptr;
  std::int64_t writes_left = 0;  // chained writes still allowed this iteration
  std::int64_t sent = 0;         // bytes written this iteration (seeds + chained)
  std::int64_t received = 0;     // bytes read this iteration
  std::int64_t failures = 0;     // failed send/recv, or kError/kHangup
};

void send_byte(Chain& chain, std::size_t index) {
  const char byte = 'e';
  if (::send(chain.pairs->write_fd(index), &byte, 1, MSG_NOSIGNAL) == 1) {
    ++chain.sent;
  } else {
    ++chain.failures;
  }
}

void on_read(Chain& chain, std::size_t index, unsigned events) {
  if ((events & (eddy::kError | eddy::kHangup)) != 0U) {
    ++chain.failures;
  }
  char byte;
  const ssize_t n = ::recv(chain.pairs->read_fd(index), &byte, 1, 0);
  if (n == 1) {
    ++chain.received;
  } else if (n == 0 || errno != EAGAIN) {
    ++chain.failures;
  }
  if (chain.writes_left > 0) {
    --chain.writes_left;
    send_byte(chain, index + 1 == chain.pairs->size() ? 0 : index + 1);
  }
}

void BM_Dispatch(benchmark::State& state, const std::string& backend) {
  const std::int64_t pipes = state.range(0);
  const std::int64_t active = state.range(1);
  const std::int64_t writes = state.range(2);
  if (std::string error = check_fd_limit(static_cast<rlim_t>(2 * pipes) + kSpareFds, pipes); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  SocketPairs pairs;
  if (std::string error = pairs.open(pipes); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }

  eddy::Loop loop(eddy::LoopOptions{.backend = backend});
  Chain chain{.pairs = &pairs};
  // Declared after the loop: destroyed (and so stopped) before it.
  std::vector<std::optional<eddy::IoWatcher>> watchers(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    watchers[i].emplace(loop, pairs.read_fd(i), [&chain, i](unsigned events) { on_read(chain, i, events); });
    watchers[i]->start(eddy::kReadable);
  }
  loop.run_once(eddy::Duration::zero());  // as bench.c, one idle pass before measuring

  const auto space = static_cast<std::size_t>(pipes / active);
  // A lost byte would make the loop below spin for ever; this many idle
  // iterations in a row means one was lost.
  constexpr std::int64_t kMaxIdlePasses = 10'000'000;
  std::int64_t total_events = 0;
  eddy::Duration total_time{};
  for (auto _ : state) {
    chain.writes_left = writes;
    chain.sent = 0;
    chain.received = 0;
    for (std::int64_t i = 0; i < active; ++i) {
      send_byte(chain, static_cast<std::size_t>(i) * space);
    }
    const eddy::TimePoint start = eddy::Clock::now();
    std::int64_t idle = 0;
    while (chain.received != chain.sent && chain.failures == 0 && idle < kMaxIdlePasses) {
      const std::int64_t before = chain.received;
      loop.run_once(eddy::Duration::zero());
      idle = chain.received == before ? idle + 1 : 0;
    }
    const eddy::Duration elapsed = eddy::Clock::now() - start;
    if (chain.failures != 0 || chain.received != chain.sent) {
      state.SkipWithError(("events lost: sent " + std::to_string(chain.sent) + " bytes, read " +
                           std::to_string(chain.received) + ", " + std::to_string(chain.failures) +
                           " failed calls or error events")
                              .c_str());
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(elapsed).count());
    total_events += chain.received;
    total_time += elapsed;
  }
  if (total_events > 0) {
    state.counters["ns_per_event"] = static_cast<double>(total_time.count()) / static_cast<double>(total_events);
    state.counters["events_per_iter"] = static_cast<double>(active + writes);
  }
}

}  // namespace

int main(int argc, char** argv) {
  raise_fd_limit();
  // Both backends for one pipes/active pair run back to back, so their ratio
  // is measured under the same machine conditions.
  for (const std::int64_t pipes : {100, 1000, 10000}) {
    for (const std::int64_t active : {1, 100}) {
      if (active > pipes) {
        continue;
      }
      for (const char* backend : {"epoll", "poll"}) {
        const std::string name = std::string("BM_Dispatch/") + backend;
        benchmark::RegisterBenchmark(name.c_str(), BM_Dispatch, std::string(backend))
            ->ArgNames({"pipes", "active", "writes"})
            ->Args({pipes, active, kWrites})
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
