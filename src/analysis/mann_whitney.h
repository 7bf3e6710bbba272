// The two-sided Mann-Whitney U test (Wilcoxon rank-sum) of two samples, as
// Google Benchmark's tools/compare.py applies it to repetition times
// (scipy.stats.mannwhitneyu, alternative="two-sided", method="auto", scipy >=
// 1.7): the exact distribution of U when one sample has at most 8 values and
// there are no ties, otherwise the normal approximation with the tie
// correction and a continuity correction of 0.5. docs/statistics.md,
// "Comparing runs".
#pragma once

#include <span>
#include <string>

#include "common/error.h"

namespace tb {

struct MannWhitneyResult {
  double u = 0.0;        // U statistic of the first sample: pairs (a_i, b_j) with a_i > b_j, ties count 1/2
  double p_value = 1.0;  // two-sided, in (0, 1]
  bool exact = false;    // true: exact distribution of U; false: normal approximation
};

// kAuto is scipy's method="auto" (above); the others force one branch, as
// scipy's method="exact" and "asymptotic" do (kExact with ties is bad input).
enum class MannWhitneyMethod { kAuto, kExact, kAsymptotic };

// Bad input (naming the sample) when a sample is empty or holds a value that
// is not finite. All values equal in both samples gives p = 1.
Expected<MannWhitneyResult> mann_whitney_u(std::span<const double> a, std::span<const double> b,
                                           MannWhitneyMethod method = MannWhitneyMethod::kAuto);

}  // namespace tb
