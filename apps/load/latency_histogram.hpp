#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace eddy_load {

// Round-trip times in nanoseconds, counted in log-linear buckets as
// HdrHistogram does: each power of two [2^k, 2^(k+1)) is split into 128
// equal sub-buckets, so any recorded value is known to within 1/128 (< 1%,
// two significant digits) at every magnitude, from 1 ns to 100 s, in a fixed
// ~32 KiB of counters. Recording is an index computation and an increment:
// no allocation, no branch on the value's size.
//
//   value:   0 ......... 255 | 256 ... 511 | 512 ... 1023 | ... | 2^36 ... 100 s
//   bucket:  0 (width 1)     | 1 (width 2) | 2 (width 4)  | ... | 29 (width 2^29)
//            256 counters      128 counters  128 counters         128 counters
//
// Values above 100 s are counted as 100 s; max() still reports the true
// maximum. Histograms merge by adding counters, so each thread records into
// its own and the results are combined at the end.
//
// Not thread-safe: one thread records into a histogram at a time.
class LatencyHistogram {
 public:
  static constexpr std::uint64_t kHighestTrackable = 100'000'000'000ULL;  // 100 s in ns

  LatencyHistogram();

  void record(std::uint64_t nanoseconds) noexcept;
  // Adds every value of `other` to this one.
  void merge(const LatencyHistogram& other) noexcept;
  void reset() noexcept;

  std::uint64_t count() const noexcept { return total_; }
  std::uint64_t min() const noexcept { return total_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }

  // The value below or at which `percentile` percent of the recorded values
  // lie (0 < percentile <= 100), as the highest value its bucket holds, so
  // within 1/128 above the exact answer; capped at max(). 0 when empty.
  std::uint64_t percentile(double percentile) const noexcept;

  // Index and bounds of the bucket holding `value` (for tests).
  static std::size_t index_of(std::uint64_t value) noexcept;
  static std::uint64_t lowest_in(std::size_t index) noexcept;
  static std::uint64_t highest_in(std::size_t index) noexcept;

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace eddy_load
