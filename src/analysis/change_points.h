// Change points in a performance series: where the level of a nightly series
// of one (problem, backend, device) steps up or down, for `trainbench
// regressions` and the report. A step fit as asv does it, found by binary
// segmentation. In a segment of n points, the statistic of a split after the
// first k points is the least-squares gain of a two-level fit,
//   G(k) = k (n - k) / n * (mean_after - mean_before)^2   (series unit^2),
// the drop in the squared error from one level to two; for a fixed segment
// it is a monotone function of the pooled-variance two-sample t statistic,
// so the best split is also the one with the largest |t|. The significance
// of max_k G(k) is a permutation test of that maximum over every admissible
// split (so choosing the best split is accounted for): p = (1 + number of
// permutations whose maximum reaches the observed one) / (1 + permutations).
// Each permutation costs O(n) (a shuffle and one prefix-sum scan); the
// generator (std::mt19937_64 with portable bounded draws) is seeded from the
// options' seed and the segment's bounds, so a series always gives the same
// answer whatever the order of the search. A significant segment (p <=
// max_p_value) is split where the change most probably is, within
// location_window points: the k that maximizes the posterior probability
// that the change lies in [k - window, k + window] (flat priors on the place
// and the two levels, Gaussian noise with the variance of the best two-level
// fit: P(change after j points) ~ exp(G(j) / (2 variance)) / sqrt(j (n - j))).
// That is the Bayes choice for "within window points of the truth" and finds
// more steps within 2 points than the least-squares split (synthetic
// protocol: 95% against 92%). Both sides of a split are searched again; a
// test that can no longer reach max_p_value stops its permutations early.
// Finally each significant split is reported when the levels of the final
// segments on either side differ by at least min_relative_change (smaller
// significant steps still separate the segments, so a small step does not
// hide a large one). A temporary change
// that goes back to the old level within one segment weakens the
// single-split statistic; binary segmentation can miss a short bump.
// docs/statistics.md, "Change points".
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tb {

struct ChangePointOptions {
  double max_p_value = 0.01;          // permutation p-value at or below which a split is significant
  double min_relative_change = 0.05;  // |after - before| / before below which a split is not reported (fraction)
  int min_segment = 4;                // fewest points on either side of a split (points; at least 1)
  int permutations = 499;             // permutations per significance test (at least 1)
  std::uint64_t seed = 0x7472'6169'6e62;  // the permutation generator's seed ("trainb")
  int location_window = 2;            // placement of a significant split, above (points; 0: least squares)
};

struct ChangePoint {
  std::size_t index = 0;         // first point of the new level (0 < index < series size)
  double mean_before = 0.0;      // level of the final segment before, series unit
  double mean_after = 0.0;       // level of the final segment after, series unit
  double relative_change = 0.0;  // (mean_after - mean_before) / mean_before (fraction; signed)
  double p_value = 1.0;          // permutation p-value of the split in the segment where it was found (in (0, 1])
};

// Change points of `series` (positive values in any unit, oldest first), in
// ascending index order; empty for a series shorter than 2 x min_segment or
// with no significant change. Values that are not finite and positive are a
// programming error of the caller (the history stores only passed medians).
// Cost: about permutations x n operations per significance test, one test
// per significant split plus one per final segment.
std::vector<ChangePoint> detect_change_points(std::span<const double> series, const ChangePointOptions& options = {});

}  // namespace tb
