#pragma once

#include <atomic>
#include <cstdint>

namespace eddy_bench {

// Calls of the global operator new (every form, on every thread) since the
// program started. Works only in a binary that lists allocation_counter.cpp
// among its sources: that file replaces the global allocation functions
// ([new.delete]), as tests/support/counting_allocator.cpp does for the tests.
//
// Unlike the tests' CountAllocations, this counter always counts and is read
// without being stopped: a benchmark reads it before and after the measured
// operations of every iteration (two relaxed loads), so that Google
// Benchmark's own bookkeeping between iterations is never counted. An
// allocation costs one more relaxed increment; in steady state there should
// be none.
namespace detail {
extern std::atomic<std::uint64_t> allocation_count;
}
inline std::uint64_t allocations() noexcept { return detail::allocation_count.load(std::memory_order_relaxed); }

}  // namespace eddy_bench
