// The synthetic accuracy protocol of the change-point detector, shared by its
// unit test and benchmarks/change_point_accuracy.cpp (docs/statistics.md,
// "Change points"): `series` series of `length` points, value = level * (1 +
// noise * N(0, 1)); the first half has one step of relative size `step` (up
// or down at random) whose first new point is uniform in [margin, length -
// margin] (for 60 points: [8, 52]); the second half has no step. Header-only.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "analysis/change_points.h"

namespace tb {

struct ProtocolOptions {
  int series = 100;        // number of series; the first series / 2 have a step
  int length = 60;         // points per series
  double noise = 0.05;     // standard deviation of the noise relative to the level (fraction)
  double step = 0.10;      // size of the step relative to the level before it (fraction)
  int margin = 8;          // fewest points before the step and from the step to the end (points)
  int tolerance = 2;       // a change point this close to the true step finds it (points)
  std::uint64_t seed = 1;  // the series generator's seed
};

struct ProtocolResult {
  int step_series = 0, no_step_series = 0;
  int found = 0;                   // step series with a change point within tolerance of the step
  int false_alarms_no_step = 0;    // no-step series reporting any change point
  int false_alarms_step = 0;       // step series reporting a change point farther than tolerance from the step
  double sum_abs_index_error = 0;  // over step series with a change point: |nearest change point - step| (points)
  int located = 0;                 // step series with at least one change point
  double found_rate() const { return step_series > 0 ? static_cast<double>(found) / step_series : 0.0; }
  double false_alarm_rate() const {  // over all series (fraction)
    const int all = step_series + no_step_series;
    return all > 0 ? static_cast<double>(false_alarms_no_step + false_alarms_step) / all : 0.0;
  }
  double mean_abs_index_error() const { return located > 0 ? sum_abs_index_error / located : 0.0; }
};

// levels[i] * (1 + noise * N(0, 1)) for every point i.
inline std::vector<double> noisy_series(const std::vector<double>& levels, double noise, std::mt19937_64& gen) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> s;
  s.reserve(levels.size());
  for (double level : levels) s.push_back(level * (1.0 + noise * normal(gen)));
  return s;
}

// One synthetic series of o.length points with its first new level at
// `step_at` (0: no step), level 1 before it and 1 + step_sign * o.step after.
inline std::vector<double> synthetic_series(const ProtocolOptions& o, int step_at, double step_sign,
                                            std::mt19937_64& gen) {
  std::vector<double> levels(static_cast<std::size_t>(o.length), 1.0);
  if (step_at > 0) std::fill(levels.begin() + step_at, levels.end(), 1.0 + step_sign * o.step);
  return noisy_series(levels, o.noise, gen);
}

inline ProtocolResult run_protocol(const ProtocolOptions& o, const ChangePointOptions& detector = {}) {
  std::mt19937_64 gen(o.seed);
  ProtocolResult r;
  for (int i = 0; i < o.series; ++i) {
    const bool has_step = i < o.series / 2;
    const int step_at = has_step ? std::uniform_int_distribution<int>(o.margin, o.length - o.margin)(gen) : 0;
    const double sign = std::bernoulli_distribution(0.5)(gen) ? 1.0 : -1.0;
    const std::vector<double> s = synthetic_series(o, step_at, sign, gen);
    const std::vector<ChangePoint> found = detect_change_points(s, detector);
    if (!has_step) {
      ++r.no_step_series;
      if (!found.empty()) ++r.false_alarms_no_step;
      continue;
    }
    ++r.step_series;
    int nearest = -1;
    bool far = false;
    for (const ChangePoint& cp : found) {
      const int error = std::abs(static_cast<int>(cp.index) - step_at);
      if (nearest < 0 || error < nearest) nearest = error;
      if (error > o.tolerance) far = true;
    }
    if (nearest >= 0) {
      ++r.located;
      r.sum_abs_index_error += nearest;
    }
    if (nearest >= 0 && nearest <= o.tolerance) ++r.found;
    if (far) ++r.false_alarms_step;
  }
  return r;
}

}  // namespace tb
