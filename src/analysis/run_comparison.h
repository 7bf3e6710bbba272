// Comparing two runs problem by problem, as Google Benchmark's compare.py
// does: the medians, the relative change of the time, and a two-sided
// Mann-Whitney U test over the repetition samples; a change is a regression
// (or an improvement) only when the test is significant AND the time changed
// by more than the threshold. A geometric mean of the time ratios summarizes.
// docs/statistics.md, "Comparing runs"; the CLI is `trainbench compare`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace tb {

// One problem of one run, as either a result file or the history gives it.
struct MeasuredProblem {
  std::string problem;             // canonical problem string (the key)
  std::string dtype;
  std::string status;              // "passed", "failed", "skipped", "error"
  std::vector<double> samples_s;   // per-execution time of every repetition (s)
  double median_s = 0.0;           // median of samples_s (s)
  double flop = 0.0;               // per execution (FLOP), as recorded
};

struct MeasuredRun {
  std::string label;  // how the user named it: a file path or "run 12"
  std::string backend, device, host, git_commit, timestamp_utc;
  std::vector<MeasuredProblem> problems;
};

struct ComparisonOptions {
  double threshold = 0.05;  // |relative change| above which a significant change counts (fraction)
  double alpha = 0.05;      // p-value below which the U test is significant (strictly below)
};

enum class Verdict {
  kRegression,      // slower: significant and relative_change > threshold
  kImprovement,     // faster: significant and relative_change < -threshold
  kNoChange,        // within the threshold, or not significant
  kTooFewSamples,   // fewer than 2 samples on a side: no test, never a regression
  kNotComparable,   // not passed on one side (status says which)
};
std::string_view verdict_name(Verdict v);  // "regression", "improvement", "no change", "too few samples", "not comparable"

struct ComparedProblem {
  std::string problem;
  std::string base_status, contender_status;
  double base_median_s = 0.0, contender_median_s = 0.0;  // (s)
  double relative_change = 0.0;  // (contender - base) / base of the median time (fraction; + is slower)
  std::optional<double> p_value; // two-sided U test; empty when too few samples or not passed
  Verdict verdict = Verdict::kNoChange;
};

struct RunComparison {
  std::vector<ComparedProblem> rows;         // problems present in both, in the base run's order
  std::vector<std::string> only_in_base;     // problem strings
  std::vector<std::string> only_in_contender;
  int compared = 0;                          // rows with both passed
  double geomean_time_ratio = 1.0;           // geometric mean of contender/base median time over compared rows
  int regressions = 0, improvements = 0;
};

// Bad input when the runs have no problem in common (the message names both
// labels and up to 3 problems of each), when options are out of range
// (threshold in [0, 1), alpha in (0, 1)), when a problem passed on both sides
// with a median that is not a positive number, or when its samples are not
// finite. Problems are matched by their problem string (first record of a
// string counts); rows follow the base run's order.
Expected<RunComparison> compare_runs(const MeasuredRun& base, const MeasuredRun& contender,
                                     const ComparisonOptions& options = {});

// Text table: header and units row (problem, base median ms, contender median
// ms, change %, p-value, verdict), the line "geometric mean of time ratios
// (contender/base): 0.987 (-1.3%) over N problems" (N: compared rows).
// Then "regressions: N, improvements: M (threshold 5%, alpha 0.05, two-sided
// Mann-Whitney U)" and one line per run listing its problems the other lacks.
// A side that did not pass shows "-"; its verdict says which side failed.
std::string render_comparison_table(const RunComparison& c, const MeasuredRun& base, const MeasuredRun& contender,
                                    const ComparisonOptions& options);

// The comparison as JSON; field names carry units: base/contender (label,
// backend, device, host, git_commit, timestamp_utc), test,
// threshold_fraction, alpha, problems[] (problem, base_status,
// contender_status, base_median_s, contender_median_s,
// relative_change_fraction, p_value, verdict; null where a side did not pass
// or no test ran), only_in_base, only_in_contender, compared_problems,
// geomean_time_ratio, regressions, improvements. Numbers are unrounded.
nlohmann::json comparison_to_json(const RunComparison& c, const MeasuredRun& base, const MeasuredRun& contender,
                                  const ComparisonOptions& options);

}  // namespace tb
