// Sample statistics against values computed by hand (quantiles: linear
// interpolation, "type 7"; stddev: n-1).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "analysis/statistics.h"

namespace tb {
namespace {

TEST(StatisticsTest, OddCountUnsorted) {
  const SampleSummary s = summarize({3.0, 1.0, 2.0});
  EXPECT_EQ(s.count, 3);
  EXPECT_DOUBLE_EQ(s.median, 2.0);
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 3.0);
  EXPECT_DOUBLE_EQ(s.p10, 1.2);  // position 0.1 * 2 = 0.2
  EXPECT_DOUBLE_EQ(s.p90, 2.8);  // position 1.8
  EXPECT_DOUBLE_EQ(s.mean, 2.0);
  EXPECT_DOUBLE_EQ(s.stddev, 1.0);  // sqrt((1 + 0 + 1) / 2)
  EXPECT_DOUBLE_EQ(s.cv, 0.5);
}

TEST(StatisticsTest, EvenCountInterpolatesTheMedian) {
  const SampleSummary s = summarize({4.0, 1.0, 3.0, 2.0});
  EXPECT_EQ(s.count, 4);
  EXPECT_DOUBLE_EQ(s.median, 2.5);  // position 1.5
  EXPECT_DOUBLE_EQ(s.p10, 1.3);     // position 0.3
  EXPECT_DOUBLE_EQ(s.p90, 3.7);     // position 2.7
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(5.0 / 3.0));  // (2.25 + 0.25 + 0.25 + 2.25) / 3
  EXPECT_DOUBLE_EQ(s.cv, std::sqrt(5.0 / 3.0) / 2.5);
}

TEST(StatisticsTest, TenSamplesWithAnOutlier) {
  // Sorted: 1..9, 100. p10 at position 0.9, p90 at 8.1, median at 4.5.
  const SampleSummary s = summarize({100, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  EXPECT_DOUBLE_EQ(s.median, 5.5);
  EXPECT_DOUBLE_EQ(s.p10, 1.9);
  EXPECT_NEAR(s.p90, 18.1, 1e-12);
  EXPECT_DOUBLE_EQ(s.mean, 14.5);
  EXPECT_DOUBLE_EQ(s.max, 100.0);
}

TEST(StatisticsTest, SingleSampleHasNoSpread) {
  const SampleSummary s = summarize({0.25});
  EXPECT_EQ(s.count, 1);
  EXPECT_EQ(s.median, 0.25);
  EXPECT_EQ(s.mean, 0.25);
  EXPECT_EQ(s.min, 0.25);
  EXPECT_EQ(s.max, 0.25);
  EXPECT_EQ(s.p10, 0.25);
  EXPECT_EQ(s.p90, 0.25);
  EXPECT_EQ(s.stddev, 0.0);
  EXPECT_EQ(s.cv, 0.0);
}

TEST(StatisticsTest, EmptyGivesZeroCount) {
  const SampleSummary s = summarize({});
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.median, 0.0);
  EXPECT_EQ(s.mean, 0.0);
  EXPECT_EQ(s.stddev, 0.0);
  EXPECT_EQ(s.cv, 0.0);
  EXPECT_EQ(quantile_sorted({}, 0.5), 0.0);
}

TEST(StatisticsTest, IdenticalSamplesHaveZeroCv) {
  const SampleSummary s = summarize({2e-3, 2e-3, 2e-3, 2e-3, 2e-3});
  EXPECT_DOUBLE_EQ(s.median, 2e-3);
  EXPECT_NEAR(s.stddev, 0.0, 1e-18);
  EXPECT_NEAR(s.cv, 0.0, 1e-12);
  EXPECT_LE(s.cv, kNoisyCv);
}

TEST(StatisticsTest, QuantileEndpoints) {
  const std::vector<double> sorted = {10, 20, 40};
  EXPECT_EQ(quantile_sorted(sorted, 0.0), 10.0);
  EXPECT_EQ(quantile_sorted(sorted, 1.0), 40.0);
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 0.75), 30.0);  // position 1.5
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 0.25), 15.0);  // position 0.5
}

TEST(StatisticsTest, NoisyThresholdIsFivePercent) { EXPECT_DOUBLE_EQ(kNoisyCv, 0.05); }

}  // namespace
}  // namespace tb
