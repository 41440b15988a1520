// The shape of libevent's test/bench.c, shared by the dispatch benchmarks so
// that each one does the same work and only the event loop differs:
//
//   eddy-bench-dispatch           eddy::Loop + IoWatcher (dispatch_bench.cpp)
//   eddy-bench-dispatch-compat    libevent's API on eddy's compat layer
//   eddy-bench-dispatch-libevent  the same source on Debian's libevent
//                                 (event_dispatch_bench.cpp, built twice)
//
// `pipes` AF_UNIX stream socketpairs, non-blocking, the read end of each
// watched for reading (level-triggered, persistent). Each benchmark iteration
// writes one byte into `active` of them, spread evenly (every
// pipes/active-th pair, as bench.c does). Each callback reads its byte and,
// while the iteration's budget of `writes` remains, writes one byte into the
// next pair, so events chain from fd to fd. The loop runs non-blocking
// passes (bench.c's EVLOOP_ONCE | EVLOOP_NONBLOCK) until every byte written in
// the iteration has been read: active + writes dispatched events per
// iteration.
//
// The time is wall-clock time from after the seeding writes to the last read
// (UseManualTime), as bench.c measures. It includes one recv() per event and
// one send() per chained write, so ns_per_event is the cost of an event to a
// program that does the least possible work with it, not the loop's overhead
// alone. cpu_ns_per_event is the thread's CPU time (user + system) over the
// same part: the loop never sleeps, so the two agree on a quiet machine, and
// on a busy one the CPU time leaves out the time the thread waited for a CPU.
//
// bench.c's defaults are -n 100 -a 1 -w 100; its usual sweep goes to 10 000
// pipes and 100 active, which needs 20 000 fds plus a few for the loop.
#pragma once

#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace eddy_bench {

// Besides the socketpairs: stdio, the backend's fd, the loop's eventfd, and
// whatever Google Benchmark keeps open.
inline constexpr rlim_t kSpareFds = 32;
inline constexpr std::int64_t kWrites = 100;

// Raises the soft RLIMIT_NOFILE to the hard limit. Done once, before any
// benchmark runs; a benchmark that still does not fit reports why.
inline void raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Empty when the socketpairs of a case with `pipes` pairs fit under the soft
// limit, else a message for SkipWithError.
inline std::string check_fd_limit(std::int64_t pipes) {
  const rlim_t needed = static_cast<rlim_t>(2 * pipes) + kSpareFds;
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

// The socketpairs: read_fd(i) is watched, write_fd(i) is its peer.
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
  std::int64_t failures = 0;     // failed send/recv, or error/hang-up events
};

inline void send_byte(Chain& chain, std::size_t index) {
  const char byte = 'e';
  if (::send(chain.pairs->write_fd(index), &byte, 1, MSG_NOSIGNAL) == 1) {
    ++chain.sent;
  } else {
    ++chain.failures;
  }
}

// The callback's work, the same in every variant: read the byte, and pass
// one on to the next pair while the budget lasts.
inline void on_readable(Chain& chain, std::size_t index, bool error_event) {
  if (error_event) {
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

// The calling thread's CPU time (user + system), in ns.
inline std::int64_t thread_cpu_ns() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// The measured part, given the variant's non-blocking pass (`run_once`) over
// watchers already registered for every pair.
template <typename RunOnce>
void measure(benchmark::State& state, Chain& chain, std::int64_t active, std::int64_t writes, RunOnce run_once) {
  const auto space = static_cast<std::size_t>(static_cast<std::int64_t>(chain.pairs->size()) / active);
  // A lost byte would make the loop below spin for ever; this many idle
  // passes in a row means one was lost.
  constexpr std::int64_t kMaxIdlePasses = 10'000'000;
  std::int64_t total_events = 0;
  std::chrono::steady_clock::duration total_time{};
  std::int64_t total_cpu_ns = 0;
  for (auto _ : state) {
    chain.writes_left = writes;
    chain.sent = 0;
    chain.received = 0;
    for (std::int64_t i = 0; i < active; ++i) {
      send_byte(chain, static_cast<std::size_t>(i) * space);
    }
    const std::int64_t cpu_start = thread_cpu_ns();
    const auto start = std::chrono::steady_clock::now();
    std::int64_t idle = 0;
    while (chain.received != chain.sent && chain.failures == 0 && idle < kMaxIdlePasses) {
      const std::int64_t before = chain.received;
      run_once();
      idle = chain.received == before ? idle + 1 : 0;
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const std::int64_t cpu_elapsed = thread_cpu_ns() - cpu_start;
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
    total_cpu_ns += cpu_elapsed;
  }
  if (total_events > 0) {
    state.counters["ns_per_event"] =
        std::chrono::duration<double, std::nano>(total_time).count() / static_cast<double>(total_events);
    state.counters["cpu_ns_per_event"] = static_cast<double>(total_cpu_ns) / static_cast<double>(total_events);
    state.counters["events_per_iter"] = static_cast<double>(active + writes);
  }
}

}  // namespace eddy_bench
