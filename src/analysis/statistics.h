// Summary statistics of timing samples. Medians are what results quote; the
// spread (min/max, p10/p90) and the coefficient of variation say how far to
// trust them (../docs/statistics.md).
#pragma once

#include <vector>

namespace tb {

struct SampleSummary {
  int count = 0;
  double median = 0.0, mean = 0.0, stddev = 0.0;  // stddev: sample (n-1) standard deviation
  double min = 0.0, max = 0.0, p10 = 0.0, p90 = 0.0;
  double cv = 0.0;  // stddev / mean (dimensionless); 0 for fewer than 2 samples
};

// Summary of `samples` (any unit; the summary is in the same unit). Empty input gives count 0.
SampleSummary summarize(std::vector<double> samples);

// Linear-interpolated quantile q in [0, 1] of sorted samples (the "type 7" estimator of R and numpy).
double quantile_sorted(const std::vector<double>& sorted, double q);

// Coefficient of variation above which a result is flagged as noisy.
inline constexpr double kNoisyCv = 0.05;

}  // namespace tb
