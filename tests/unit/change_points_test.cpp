// The change-point detector on seeded synthetic series (5% Gaussian noise
// unless said otherwise), and the accuracy protocol of docs/statistics.md.
#include "analysis/change_points.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "analysis/change_point_protocol.h"

namespace tb {
namespace {

// `levels` as runs of (level, points), with relative noise.
std::vector<double> series(const std::vector<std::pair<double, int>>& runs, double noise, std::uint64_t seed) {
  std::vector<double> levels;
  for (const auto& [level, points] : runs) levels.insert(levels.end(), static_cast<std::size_t>(points), level);
  std::mt19937_64 gen(seed);
  return noisy_series(levels, noise, gen);
}

TEST(ChangePoints, NoStepReportsNothing) {
  // By design about 1% of pure-noise series give a false alarm (max_p_value
  // 0.01): of the 60-point series seeded 1 to 40, seed 1 does (a 6.3% "step"
  // at 53, p = 0.006); of the 365-point ones, none. Seeds 2 to 6 here.
  for (std::uint64_t seed = 2; seed <= 6; ++seed) {
    EXPECT_TRUE(detect_change_points(series({{1.0, 60}}, 0.05, seed)).empty()) << "seed " << seed;
    EXPECT_TRUE(detect_change_points(series({{1.0, 365}}, 0.05, seed)).empty()) << "seed " << seed;
  }
}

TEST(ChangePoints, TenPercentStepAtThirtyIsFound) {
  const std::vector<double> s = series({{1.0, 30}, {1.1, 30}}, 0.05, 7);
  const std::vector<ChangePoint> found = detect_change_points(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_LE(std::abs(static_cast<int>(found[0].index) - 30), 2);
  EXPECT_GT(found[0].relative_change, 0.05);
  EXPECT_NEAR(found[0].mean_before, 1.0, 0.03);
  EXPECT_NEAR(found[0].mean_after, 1.1, 0.03);
  EXPECT_NEAR(found[0].relative_change, found[0].mean_after / found[0].mean_before - 1.0, 1e-12);
}

TEST(ChangePoints, DownStepHasNegativeChange) {
  const std::vector<ChangePoint> found = detect_change_points(series({{1.0, 30}, {0.9, 30}}, 0.05, 7));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_LE(std::abs(static_cast<int>(found[0].index) - 30), 2);
  EXPECT_LT(found[0].relative_change, -0.05);
}

TEST(ChangePoints, TwoStepsAreBothFound) {
  const std::vector<ChangePoint> found = detect_change_points(series({{1.0, 40}, {1.15, 40}, {1.0, 40}}, 0.05, 3));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_LE(std::abs(static_cast<int>(found[0].index) - 40), 2);
  EXPECT_LE(std::abs(static_cast<int>(found[1].index) - 80), 2);
  EXPECT_GT(found[0].relative_change, 0.0);
  EXPECT_LT(found[1].relative_change, 0.0);
}

TEST(ChangePoints, NoiseFreeStepIsExact) {
  std::vector<double> s(24, 1.0);
  std::fill(s.begin() + 10, s.end(), 2.0);
  const std::vector<ChangePoint> found = detect_change_points(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].index, 10u);
  EXPECT_EQ(found[0].p_value, 1.0 / 500.0);  // no permutation separates the levels as well
  EXPECT_EQ(found[0].mean_before, 1.0);
  EXPECT_EQ(found[0].mean_after, 2.0);
  EXPECT_EQ(found[0].relative_change, 1.0);
}

TEST(ChangePoints, StepBelowMinRelativeChangeIsIgnored) {
  // 3% with 0.5% noise: clearly significant, but under the 5% default.
  const std::vector<double> s = series({{1.0, 30}, {1.03, 30}}, 0.005, 11);
  EXPECT_TRUE(detect_change_points(s).empty());
  ChangePointOptions o;
  o.min_relative_change = 0.02;
  EXPECT_EQ(detect_change_points(s, o).size(), 1u);
}

TEST(ChangePoints, SmallStepDoesNotHideALargeOne) {
  // A significant 3% step in the middle and a 20% step near the end.
  const std::vector<ChangePoint> found =
      detect_change_points(series({{1.0, 150}, {1.03, 140}, {1.236, 10}}, 0.005, 5));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].index, 290u);
  EXPECT_NEAR(found[0].relative_change, 0.2, 0.01);
}

TEST(ChangePoints, ShortSeriesReportsNothing) {
  const std::vector<double> s = {1, 1, 1, 2, 2, 2, 2};  // 7 < 2 x min_segment
  EXPECT_TRUE(detect_change_points(s).empty());
  EXPECT_TRUE(detect_change_points(std::vector<double>{}).empty());
}

TEST(ChangePoints, SameInputSameOutput) {
  const std::vector<double> s = series({{1.0, 100}, {1.08, 100}, {1.0, 165}}, 0.05, 21);
  const std::vector<ChangePoint> a = detect_change_points(s), b = detect_change_points(s);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].index, b[i].index);
    EXPECT_EQ(a[i].p_value, b[i].p_value);
    EXPECT_EQ(a[i].relative_change, b[i].relative_change);
  }
}

TEST(ChangePoints, PValuesInUnitInterval) {
  ChangePointOptions o;
  o.permutations = 99;
  o.max_p_value = 1.0;  // keep every split
  o.min_relative_change = 0.0;
  const std::vector<ChangePoint> found = detect_change_points(series({{1.0, 30}, {1.1, 30}}, 0.05, 9), o);
  ASSERT_FALSE(found.empty());
  for (const ChangePoint& cp : found) {
    EXPECT_GT(cp.p_value, 0.0);
    EXPECT_LE(cp.p_value, 1.0);
    EXPECT_GT(cp.index, 0u);
    EXPECT_LT(cp.index, 60u);
  }
  // A 30% step: no permutation reaches it, p = 1 / (1 + 99).
  const std::vector<ChangePoint> big = detect_change_points(series({{1.0, 30}, {1.3, 30}}, 0.05, 9), o);
  const auto step = std::find_if(big.begin(), big.end(), [](const ChangePoint& cp) { return cp.index == 30; });
  ASSERT_NE(step, big.end());
  EXPECT_DOUBLE_EQ(step->p_value, 0.01);
}

TEST(ChangePoints, SyntheticProtocolMeetsTheTargets) {
  // docs/statistics.md, "Change points": 100 series of 60 points, 50 with a
  // 10% step in [8, 52], 5% noise. Targets: >= 90% of steps found within 2
  // points; <= 5% false alarms (no-step series with any change point, or
  // step series with one farther than 2 points from the step).
  ProtocolOptions o;
  o.seed = 1;
  const ProtocolResult r = run_protocol(o);
  EXPECT_EQ(r.step_series, 50);
  EXPECT_EQ(r.no_step_series, 50);
  EXPECT_GE(r.found_rate(), 0.90);
  EXPECT_LE(r.false_alarm_rate(), 0.05) << r.false_alarms_no_step << " + " << r.false_alarms_step;
}

}  // namespace
}  // namespace tb
