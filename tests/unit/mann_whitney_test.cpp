// The two-sided Mann-Whitney U test against scipy.stats.mannwhitneyu
// (method="auto"): exact p-values checked by counting every arrangement,
// normal-approximation p-values from the formula with the numbers written out.
#include "analysis/mann_whitney.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace tb {
namespace {

// Two-sided exact p-value by enumerating which m of the m + n ranks the
// first sample takes (no ties): 2 * P(U <= min(u, m n - u)), at most 1.
double enumerated_p(std::size_t m, std::size_t n, double u) {
  const double u_min = std::min(u, static_cast<double>(m * n) - u);
  std::vector<bool> pick(m + n, false);
  std::fill(pick.begin(), pick.begin() + static_cast<std::ptrdiff_t>(m), true);
  double total = 0, at_most = 0;
  do {  // prev_permutation walks every subset of size m once
    double count_u = 0;  // pairs (a, b) with a above b: b-ranks below each picked rank
    std::size_t below = 0;
    for (std::size_t r = 0; r < m + n; ++r) {
      if (pick[r]) count_u += static_cast<double>(below);
      else ++below;
    }
    total += 1;
    if (count_u <= u_min) at_most += 1;
  } while (std::prev_permutation(pick.begin(), pick.end()));
  return std::min(1.0, 2.0 * at_most / total);
}

std::vector<double> range(double first, int count) {
  std::vector<double> v(static_cast<std::size_t>(count));
  std::iota(v.begin(), v.end(), first);
  return v;
}

TEST(MannWhitney, SeparatedSamplesOfThree) {
  const std::vector<double> a = {1, 2, 3}, b = {4, 5, 6};
  const auto r = mann_whitney_u(a, b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->u, 0.0);
  EXPECT_TRUE(r->exact);
  EXPECT_NEAR(r->p_value, 0.1, 1e-15);  // 2 / C(6, 3)
}

TEST(MannWhitney, SeparatedSamplesOfFive) {
  const auto r = mann_whitney_u(range(1, 5), range(6, 5));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->exact);
  EXPECT_NEAR(r->p_value, 2.0 / 252.0, 1e-15);  // 2 / C(10, 5) = 0.0079365...
}

TEST(MannWhitney, ScipyDocumentationExample) {
  // scipy.stats.mannwhitneyu docs: males vs females, U1 = 17, exact p = 0.1111111111111111,
  // method="asymptotic" p = 0.11134688653314041.
  const std::vector<double> males = {19, 22, 16, 29, 24}, females = {20, 11, 17, 12};
  const auto exact = mann_whitney_u(males, females);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->u, 17.0);
  EXPECT_TRUE(exact->exact);
  EXPECT_NEAR(exact->p_value, 0.1111111111111111, 1e-15);
  const auto normal = mann_whitney_u(males, females, MannWhitneyMethod::kAsymptotic);
  ASSERT_TRUE(normal.ok());
  EXPECT_FALSE(normal->exact);
  EXPECT_NEAR(normal->p_value, 0.11134688653314041, 1e-14);
}

TEST(MannWhitney, ExactWhenOneSampleHasAtMostEight) {
  // scipy's "auto" is exact unless both samples have more than 8 values.
  const std::vector<double> a = {0.5, 7.5, 12.5};
  const std::vector<double> b = range(1, 20);
  const auto r = mann_whitney_u(a, b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->exact);
  EXPECT_EQ(r->u, 0 + 7 + 12);
  EXPECT_NEAR(r->p_value, enumerated_p(3, 20, r->u), 1e-13);

  const std::vector<double> c = {1.5, 2.5, 3.5, 4.5, 9.5, 10.5, 11.5, 16.5};  // 8 against 9
  const auto s = mann_whitney_u(c, range(1, 17));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->exact);
  EXPECT_NEAR(s->p_value, enumerated_p(8, 17, s->u), 1e-13);
}

TEST(MannWhitney, ExactWithALargeSecondSample) {
  // U = 0 for 8 values below 1000: p = 2 / C(1008, 8).
  const auto r = mann_whitney_u(range(0, 8), range(100, 1000));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->exact);
  double total = 1;
  for (int i = 1; i <= 8; ++i) total = total * (1000 + i) / i;
  EXPECT_NEAR(r->p_value / (2.0 / total), 1.0, 1e-12);
}

TEST(MannWhitney, ExactMatchesEnumerationAcrossU) {
  // 4 against 6 values, U from 0 to 24: the first sample takes these of the values 0..9.
  const std::vector<std::vector<double>> firsts = {{0, 1, 2, 3}, {0, 2, 5, 9}, {1, 4, 6, 8}, {6, 7, 8, 9}, {3, 4, 5, 6}};
  for (const auto& a : firsts) {
    std::vector<double> b;
    for (double v = 0; v < 10; ++v) {
      if (std::find(a.begin(), a.end(), v) == a.end()) b.push_back(v);
    }
    const auto r = mann_whitney_u(a, b);
    ASSERT_TRUE(r.ok());
    EXPECT_NEAR(r->p_value, enumerated_p(4, 6, r->u), 1e-14) << "U = " << r->u;
  }
}

TEST(MannWhitney, NormalApproximationWhenBothHaveMoreThanEight) {
  // n1 = n2 = 9, no ties, U1 = 0: mu = 40.5, sigma^2 = 81 / 12 * 19 = 128.25,
  // z = (81 - 40.5 - 0.5) / sqrt(128.25), p = 2 * (1 - Phi(z)) = erfc(z / sqrt 2).
  const auto r = mann_whitney_u(range(1, 9), range(10, 9));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->exact);
  EXPECT_EQ(r->u, 0.0);
  EXPECT_NEAR(r->p_value, std::erfc(40.0 / std::sqrt(128.25) / std::sqrt(2.0)), 1e-15);
  EXPECT_NEAR(r->p_value, 4.1229e-4, 1e-8);
}

TEST(MannWhitney, TiesUseTheNormalApproximationWithTieCorrection) {
  // Ranks of 1 2 2 2 3 3 4 5: 1, 3, 3, 3, 5.5, 5.5, 7, 8; a = {1, 2, 2, 3}: R1 = 12.5,
  // U1 = 12.5 - 10 = 2.5; U = max(2.5, 13.5) = 13.5, mu = 8; ties: 3 twos, 2 threes:
  // sum (t^3 - t) = 24 + 6 = 30; sigma^2 = 16 / 12 * (9 - 30 / 56);
  // z = (13.5 - 8 - 0.5) / sigma.
  const std::vector<double> a = {1, 2, 2, 3}, b = {2, 3, 4, 5};
  const auto r = mann_whitney_u(a, b);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->exact);
  EXPECT_EQ(r->u, 2.5);
  const double sigma = std::sqrt(16.0 / 12.0 * (9.0 - 30.0 / 56.0));
  EXPECT_NEAR(r->p_value, std::erfc(5.0 / sigma / std::sqrt(2.0)), 1e-15);
  EXPECT_NEAR(r->p_value, 0.13666, 1e-4);
}

TEST(MannWhitney, SwappingSamplesMirrorsU) {
  const std::vector<double> a = {1.2, 3.4, 0.7, 2.2, 5.1}, b = {2.0, 4.4, 6.1, 3.9};
  const auto ab = mann_whitney_u(a, b), ba = mann_whitney_u(b, a);
  ASSERT_TRUE(ab.ok() && ba.ok());
  EXPECT_EQ(ab->u + ba->u, 20.0);
  EXPECT_DOUBLE_EQ(ab->p_value, ba->p_value);
}

TEST(MannWhitney, AllEqualGivesOne) {
  const std::vector<double> a = {1, 1, 1}, b = {1, 1};
  const auto r = mann_whitney_u(a, b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->u, 3.0);
  EXPECT_EQ(r->p_value, 1.0);
}

TEST(MannWhitney, PValueNeverAboveOne) {
  const std::vector<double> a = {1, 4}, b = {2, 3};  // U = 2 = m n / 2: 2 * P(U <= 2) > 1
  const auto r = mann_whitney_u(a, b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->p_value, 1.0);
}

TEST(MannWhitney, BadInputNamesTheSample) {
  const std::vector<double> empty, ok = {1, 2}, nan = {1, std::nan("")};
  const auto e = mann_whitney_u(empty, ok);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kBadInput);
  EXPECT_NE(e.error().message.find("first sample is empty"), std::string::npos) << e.error().message;
  const auto n = mann_whitney_u(ok, nan);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.error().message.find("second sample"), std::string::npos) << n.error().message;
  const std::vector<double> tie = {1, 2};
  EXPECT_FALSE(mann_whitney_u(ok, tie, MannWhitneyMethod::kExact).ok());
}

}  // namespace
}  // namespace tb
