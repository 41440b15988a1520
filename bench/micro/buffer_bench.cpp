// Buffer throughput: the per-message costs that a connection pays on top of
// the system calls. Every benchmark reports bytes/s (SetBytesProcessed) and
// runs on a warmed-up BlockPool, as a loop's buffers do.
//
//   BM_AppendDrain/N       append one N-byte message, drain it again;
//                          N = 64 (small requests) and 16 KiB (one block)
//   BM_AppendDrainBatch/N  append 64 messages of N bytes, then drain them
//                          one message at a time: the queue is 64 deep
//   BM_MoveAppend/N        a.append(std::move(b)) of a buffer of N bytes,
//                          back and forth: relinking, no byte copied
//                          (N = 64 KiB: four blocks)
//   BM_MoveAppendSmall     build a 64-byte buffer, move it onto one that
//                          has room (packed: copied into the tail), drain
//   BM_ReadLine            64 KiB of 40-byte CRLF lines appended, then
//                          read_line() until none is left
//   BM_SocketPairRoundTrip write_to then read_from of 64 KiB over an
//                          AF_UNIX socketpair: the system calls included
//
// Allocations: the binary replaces the global operator new
// (allocation_counter.cpp). Each benchmark runs its iteration's work once
// before measuring (the warm-up: the pool's first blocks, the buffers' first
// growth), reported as `warmup_allocs`; then counts every operator new inside
// the measured iterations and reports `allocs_per_op`, the count divided by
// the operations (the messages, moves or lines named above). In steady state
// it must be 0; a benchmark that sees one also reports the total as
// `steady_allocs`, so that a stray allocation is never rounded away.
#include "allocation_counter.hpp"

#include <eddy/block_pool.hpp>
#include <eddy/buffer.hpp>

#include <benchmark/benchmark.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <utility>

namespace {

using eddy::BlockPool;
using eddy::Buffer;

// Counts operator new calls inside the measured part of each iteration only
// (not Google Benchmark's own work between iterations).
class AllocationTally {
 public:
  // Runs `work` once, before the measured iterations, counting what it
  // allocates.
  template <typename Work>
  void warm_up(Work&& work) {
    const std::uint64_t before = eddy_bench::allocations();
    work();
    warmup_ = eddy_bench::allocations() - before;
  }
  void begin() noexcept { before_ = eddy_bench::allocations(); }
  void end() noexcept { steady_ += eddy_bench::allocations() - before_; }

  void report(benchmark::State& state, std::int64_t operations_per_iteration) const {
    state.counters["warmup_allocs"] = static_cast<double>(warmup_);
    const std::int64_t operations = state.iterations() * operations_per_iteration;
    if (operations > 0) {
      state.counters["allocs_per_op"] = static_cast<double>(steady_) / static_cast<double>(operations);
    }
    if (steady_ != 0) {
      state.counters["steady_allocs"] = static_cast<double>(steady_);
    }
  }

 private:
  std::uint64_t warmup_ = 0;
  std::uint64_t steady_ = 0;
  std::uint64_t before_ = 0;
};

void BM_AppendDrain(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::string message(size, 'm');
  BlockPool pool;
  Buffer buffer(pool);
  const auto work = [&] {
    buffer.append(message);
    buffer.drain(size);
    benchmark::DoNotOptimize(buffer);
  };
  AllocationTally tally;
  tally.warm_up(work);
  for (auto _ : state) {
    tally.begin();
    work();
    tally.end();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  tally.report(state, 1);
}
BENCHMARK(BM_AppendDrain)->Arg(64)->Arg(16 * 1024);

void BM_AppendDrainBatch(benchmark::State& state) {
  constexpr int kBatch = 64;
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::string message(size, 'm');
  BlockPool pool;
  Buffer buffer(pool);
  const auto work = [&] {
    for (int i = 0; i < kBatch; ++i) {
      buffer.append(message);
    }
    for (int i = 0; i < kBatch; ++i) {
      buffer.drain(size);
    }
    benchmark::DoNotOptimize(buffer);
  };
  AllocationTally tally;
  tally.warm_up(work);
  for (auto _ : state) {
    tally.begin();
    work();
    tally.end();
  }
  state.SetBytesProcessed(state.iterations() * kBatch * state.range(0));
  tally.report(state, kBatch);
}
BENCHMARK(BM_AppendDrainBatch)->Arg(64)->Arg(16 * 1024);

void BM_MoveAppend(benchmark::State& state) {
  BlockPool pool;
  Buffer a(pool);
  Buffer b(pool);
  AllocationTally tally;
  tally.warm_up([&] { b.append(std::string(static_cast<std::size_t>(state.range(0)), 'b')); });
  const auto work = [&] {
    a.append(std::move(b));
    b.append(std::move(a));
    benchmark::DoNotOptimize(b);
  };
  for (auto _ : state) {
    tally.begin();
    work();
    tally.end();
  }
  state.SetBytesProcessed(state.iterations() * 2 * state.range(0));
  tally.report(state, 2);
}
BENCHMARK(BM_MoveAppend)->Arg(64 * 1024);

void BM_MoveAppendSmall(benchmark::State& state) {
  constexpr std::size_t kSize = 64;
  const std::string message(kSize, 's');
  BlockPool pool;
  Buffer output(pool);
  output.append("already queued");
  const auto work = [&] {
    Buffer piece(pool);
    piece.append(message);
    output.append(std::move(piece));
    output.drain(kSize);
    benchmark::DoNotOptimize(output);
  };
  AllocationTally tally;
  tally.warm_up(work);
  for (auto _ : state) {
    tally.begin();
    work();
    tally.end();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kSize));
  tally.report(state, 1);
}
BENCHMARK(BM_MoveAppendSmall);

void BM_ReadLine(benchmark::State& state) {
  std::string lines;
  std::size_t count = 0;
  while (lines.size() + 40 <= 64 * 1024) {
    lines += "GET /index.html HTTP/1.1 X-Id: 0000001\r\n";  // 40 bytes
    ++count;
  }
  BlockPool pool;
  Buffer buffer(pool);
  std::string line;
  line.reserve(64);
  std::size_t taken = 0;
  const auto work = [&] {
    buffer.append(lines);
    while (buffer.read_line(line)) {
      ++taken;
    }
  };
  AllocationTally tally;
  tally.warm_up(work);
  taken = 0;
  for (auto _ : state) {
    tally.begin();
    work();
    tally.end();
  }
  if (taken != count * static_cast<std::size_t>(state.iterations())) {
    state.SkipWithError("read_line missed lines");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(lines.size()));
  state.counters["lines_per_s"] = benchmark::Counter(static_cast<double>(taken), benchmark::Counter::kIsRate);
  tally.report(state, static_cast<std::int64_t>(count));  // per line
}
BENCHMARK(BM_ReadLine);

void BM_SocketPairRoundTrip(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    state.SkipWithError("socketpair failed");
    return;
  }
  const std::string message(size, 'w');
  BlockPool pool;
  Buffer output(pool);
  Buffer input(pool);
  bool failed = false;
  const auto work = [&] {
    output.append(message);
    while (!failed && (!output.empty() || input.size() < size)) {
      const eddy::IoResult wrote = output.write_to(fds[0]);
      const eddy::IoResult read = input.read_from(fds[1]);
      failed = wrote.error || read.error || read.eof;
    }
    input.clear();
  };
  AllocationTally tally;
  tally.warm_up(work);
  for (auto _ : state) {
    tally.begin();
    work();
    tally.end();
    if (failed) {
      state.SkipWithError("write_to or read_from failed");
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  tally.report(state, 1);
  ::close(fds[0]);
  ::close(fds[1]);
}
BENCHMARK(BM_SocketPairRoundTrip)->Arg(64 * 1024);

}  // namespace
