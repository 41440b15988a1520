#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace eddy_load {

namespace {

// 2^7 = 128 sub-buckets per power of two above the first bucket, whose 256
// counters hold 0..255 exactly.
constexpr unsigned kSubBucketHalfMagnitude = 7;
constexpr std::uint64_t kSubBucketHalf = std::uint64_t{1} << kSubBucketHalfMagnitude;  // 128
constexpr std::uint64_t kSubBucketMask = (kSubBucketHalf << 1) - 1;                      // 255

}  // namespace

std::size_t LatencyHistogram::index_of(std::uint64_t value) noexcept {
  // Bucket b covers [2^(b+7), 2^(b+8)) with sub-buckets of width 2^b; the
  // OR with the mask puts 0..255 in bucket 0.
  const unsigned magnitude = 64U - static_cast<unsigned>(std::countl_zero(value | kSubBucketMask));
  const unsigned bucket = magnitude - (kSubBucketHalfMagnitude + 1);
  const std::uint64_t sub_bucket = value >> bucket;  // 128..255, or 0..255 in bucket 0
  return static_cast<std::size_t>((std::uint64_t{bucket} << kSubBucketHalfMagnitude) + sub_bucket);
}

std::uint64_t LatencyHistogram::lowest_in(std::size_t index) noexcept {
  if (index < 2 * kSubBucketHalf) {
    return index;
  }
  const std::uint64_t bucket = (index >> kSubBucketHalfMagnitude) - 1;
  const std::uint64_t sub_bucket = (index & (kSubBucketHalf - 1)) + kSubBucketHalf;
  return sub_bucket << bucket;
}

std::uint64_t LatencyHistogram::highest_in(std::size_t index) noexcept {
  if (index < 2 * kSubBucketHalf) {
    return index;
  }
  const std::uint64_t bucket = (index >> kSubBucketHalfMagnitude) - 1;
  return lowest_in(index) + (std::uint64_t{1} << bucket) - 1;
}

LatencyHistogram::LatencyHistogram() : counts_(index_of(kHighestTrackable) + 1, 0) {}

void LatencyHistogram::record(std::uint64_t nanoseconds) noexcept {
  ++counts_[index_of(std::min(nanoseconds, kHighestTrackable))];
  ++total_;
  min_ = std::min(min_, nanoseconds);
  max_ = std::max(max_, nanoseconds);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    counts_[i] += other.counts_[i];
  }
  total_ += other.total_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

std::uint64_t LatencyHistogram::percentile(double percentile) const noexcept {
  if (total_ == 0) {
    return 0;
  }
  // The rank of the wanted value among the sorted values, 1-based: the
  // nearest-rank definition, so percentile(100) is the largest value.
  const double wanted = std::ceil(std::clamp(percentile, 0.0, 100.0) / 100.0 * static_cast<double>(total_));
  const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted));
  if (rank >= total_) {
    return max_;  // the largest value is known exactly, even beyond the range
  }
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::min(highest_in(i), max_);
    }
  }
  return max_;
}

}  // namespace eddy_load
