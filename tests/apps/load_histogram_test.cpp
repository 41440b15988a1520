// eddy-load's latency histogram: every value lands in a bucket that holds
// it, percentiles agree with a sorted-vector oracle to within the bucket
// width (1/128), and histograms merge as if one had recorded everything.

#include "latency_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace eddy_load {
namespace {

// Log-uniform values from 1 us to 100 s, the range a round trip can take.
std::vector<std::uint64_t> log_uniform_values(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::uniform_real_distribution<double> exponent(3.0, 11.0);
  std::vector<std::uint64_t> values(count);
  for (std::uint64_t& value : values) {
    value = static_cast<std::uint64_t>(std::pow(10.0, exponent(generator)));
  }
  return values;
}

// The nearest-rank percentile of `sorted`.
std::uint64_t oracle(const std::vector<std::uint64_t>& sorted, double percentile) {
  const auto rank = static_cast<std::size_t>(std::ceil(percentile / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

::testing::AssertionResult within_precision(std::uint64_t exact, std::uint64_t reported) {
  // The histogram answers with the top of the bucket holding the exact
  // value: never below it, and at most one bucket width (exact/128) above.
  if (reported >= exact && reported <= exact + exact / 128 + 1) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "exact " << exact << ", reported " << reported;
}

TEST(LatencyHistogram, EveryValueFallsInABucketThatHoldsItWithinOnePercent) {
  std::vector<std::uint64_t> values = log_uniform_values(20000, 1);
  for (std::uint64_t v = 0; v < 5000; ++v) {
    values.push_back(v);  // the exact region and the first few buckets
  }
  values.push_back(LatencyHistogram::kHighestTrackable);
  for (const std::uint64_t value : values) {
    const std::size_t index = LatencyHistogram::index_of(value);
    const std::uint64_t low = LatencyHistogram::lowest_in(index);
    const std::uint64_t high = LatencyHistogram::highest_in(index);
    ASSERT_LE(low, value);
    ASSERT_GE(high, value);
    ASSERT_LE(high - low, value / 128) << value;
  }
}

TEST(LatencyHistogram, BucketsAreContiguousAndIncreasing) {
  const std::size_t last = LatencyHistogram::index_of(LatencyHistogram::kHighestTrackable);
  for (std::size_t index = 1; index <= last; ++index) {
    ASSERT_EQ(LatencyHistogram::lowest_in(index), LatencyHistogram::highest_in(index - 1) + 1) << index;
  }
}

TEST(LatencyHistogram, PercentilesMatchASortedOracleWithinTheBucketPrecision) {
  std::vector<std::uint64_t> values = log_uniform_values(100000, 2);
  LatencyHistogram histogram;
  for (const std::uint64_t value : values) {
    histogram.record(value);
  }
  std::sort(values.begin(), values.end());
  for (const double p : {0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    EXPECT_TRUE(within_precision(oracle(values, p), histogram.percentile(p))) << "p" << p;
  }
  EXPECT_EQ(histogram.count(), values.size());
  EXPECT_EQ(histogram.min(), values.front());
  EXPECT_EQ(histogram.max(), values.back());
  EXPECT_EQ(histogram.percentile(100), values.back());
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (std::uint64_t v = 1; v <= 200; ++v) {
    histogram.record(v);
  }
  EXPECT_EQ(histogram.percentile(50), 100u);
  EXPECT_EQ(histogram.percentile(1), 2u);
  EXPECT_EQ(histogram.percentile(100), 200u);
}

TEST(LatencyHistogram, MergedHistogramsEqualOneThatRecordedEverything) {
  const std::vector<std::uint64_t> values = log_uniform_values(30000, 3);
  LatencyHistogram all;
  LatencyHistogram parts[3];
  for (std::size_t i = 0; i < values.size(); ++i) {
    all.record(values[i]);
    parts[i % 3].record(values[i]);
  }
  LatencyHistogram merged;
  for (const LatencyHistogram& part : parts) {
    merged.merge(part);
  }
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  for (const double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(merged.percentile(p), all.percentile(p)) << "p" << p;
  }
}

TEST(LatencyHistogram, MergingAnEmptyHistogramChangesNothing) {
  LatencyHistogram histogram;
  histogram.record(1234);
  histogram.merge(LatencyHistogram());
  EXPECT_EQ(histogram.count(), 1u);
  EXPECT_EQ(histogram.min(), 1234u);
  EXPECT_EQ(histogram.max(), 1234u);
}

TEST(LatencyHistogram, EmptyReportsZero) {
  const LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.percentile(50), 0u);
  EXPECT_EQ(histogram.min(), 0u);
  EXPECT_EQ(histogram.max(), 0u);
}

TEST(LatencyHistogram, ValuesAboveTheRangeAreCountedAndMaxStaysExact) {
  LatencyHistogram histogram;
  const std::uint64_t huge = 5 * LatencyHistogram::kHighestTrackable;
  histogram.record(huge);
  histogram.record(10);
  EXPECT_EQ(histogram.count(), 2u);
  EXPECT_EQ(histogram.max(), huge);
  EXPECT_EQ(histogram.percentile(100), huge);
  EXPECT_GE(histogram.percentile(60), LatencyHistogram::kHighestTrackable);
}

TEST(LatencyHistogram, ResetForgetsEverything) {
  LatencyHistogram histogram;
  for (const std::uint64_t value : log_uniform_values(100, 4)) {
    histogram.record(value);
  }
  histogram.reset();
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.percentile(99), 0u);
  histogram.record(500);
  EXPECT_EQ(histogram.min(), 500u);
  EXPECT_EQ(histogram.max(), 500u);
}

}  // namespace
}  // namespace eddy_load
