#include "analysis/mann_whitney.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace tb {
namespace {

constexpr std::size_t kExactMaxSize = 8;  // scipy's "auto": exact when a sample has at most 8 values

Status check_sample(std::span<const double> s, const char* name) {
  if (s.empty()) return bad_input(std::string("Mann-Whitney U test: the ") + name + " sample is empty");
  for (double v : s) {
    if (!std::isfinite(v)) {
      return bad_input(std::string("Mann-Whitney U test: the ") + name + " sample holds a value that is not finite");
    }
  }
  return {};
}

struct Ranking {
  double rank_sum_a = 0.0;  // sum of the mid-ranks (1-based) of the first sample's values
  double tie_term = 0.0;    // sum over groups of equal values of t^3 - t (t: group size)
};

// Mid-ranks of a followed by b, ties sharing the mean of their ranks.
Ranking rank(std::span<const double> a, std::span<const double> b) {
  const std::size_t n = a.size() + b.size();
  std::vector<double> all(a.begin(), a.end());
  all.insert(all.end(), b.begin(), b.end());
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return all[i] < all[j]; });
  Ranking r;
  for (std::size_t lo = 0; lo < n;) {
    std::size_t hi = lo + 1;
    while (hi < n && all[order[hi]] == all[order[lo]]) ++hi;
    const double t = static_cast<double>(hi - lo);
    const double mid_rank = (static_cast<double>(lo + 1) + static_cast<double>(hi)) / 2.0;
    for (std::size_t k = lo; k < hi; ++k) {
      if (order[k] < a.size()) r.rank_sum_a += mid_rank;
    }
    r.tie_term += t * t * t - t;
    lo = hi;
  }
  return r;
}

// P(U <= u) under the null for samples of m and n distinct values. The count
// of arrangements with U = k is the coefficient of q^k in the Gaussian
// binomial [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i),
// truncated at q^u. All divisions first, then the products in order, so that
// every intermediate series is [n+j choose j]_q times a series of positive
// terms: no coefficient ever goes negative. O(m * u) time, counts as doubles.
double exact_cdf(std::size_t m, std::size_t n, std::size_t u) {
  if (m > n) std::swap(m, n);
  std::vector<double> c(u + 1, 0.0);
  c[0] = 1.0;
  for (std::size_t i = 1; i <= m; ++i) {  // divide by (1 - q^i) for every i first: partitions into parts <= m
    for (std::size_t k = i; k <= u; ++k) c[k] += c[k - i];
  }
  for (std::size_t i = 1; i <= m; ++i) {  // then multiply by (1 - q^(n+i)), highest power first
    const std::size_t shift = n + i;
    for (std::size_t k = u; k >= shift; --k) c[k] -= c[k - shift];
  }
  double total = 1.0;  // binomial(m + n, m)
  for (std::size_t i = 1; i <= m; ++i) total = total * static_cast<double>(n + i) / static_cast<double>(i);
  double below = 0.0;
  for (double count : c) below += count;
  return below / total;
}

}  // namespace

Expected<MannWhitneyResult> mann_whitney_u(std::span<const double> a, std::span<const double> b,
                                           MannWhitneyMethod method) {
  TB_RETURN_IF_ERROR(check_sample(a, "first"));
  TB_RETURN_IF_ERROR(check_sample(b, "second"));
  const double n1 = static_cast<double>(a.size());
  const double n2 = static_cast<double>(b.size());
  const Ranking r = rank(a, b);
  const bool ties = r.tie_term > 0.0;

  MannWhitneyResult out;
  out.u = r.rank_sum_a - n1 * (n1 + 1.0) / 2.0;
  const double u_max = std::max(out.u, n1 * n2 - out.u);
  if (method == MannWhitneyMethod::kAuto) {
    const bool small = std::min(a.size(), b.size()) <= kExactMaxSize;
    method = small && !ties ? MannWhitneyMethod::kExact : MannWhitneyMethod::kAsymptotic;
  }
  if (method == MannWhitneyMethod::kExact) {
    if (ties) return bad_input("Mann-Whitney U test: the exact distribution of U needs distinct values (ties found)");
    out.exact = true;
    const auto u_min = static_cast<std::size_t>(std::llround(n1 * n2 - u_max));  // P(U >= u_max) = P(U <= u_min)
    out.p_value = std::min(1.0, 2.0 * exact_cdf(a.size(), b.size(), u_min));
    return out;
  }
  const double n = n1 + n2;
  const double sigma = std::sqrt(n1 * n2 / 12.0 * ((n + 1.0) - r.tie_term / (n * (n - 1.0))));
  if (!(sigma > 0.0)) return out;  // every value equal: no evidence of a difference, p = 1
  const double z = (u_max - n1 * n2 / 2.0 - 0.5) / sigma;
  out.p_value = std::min(1.0, std::erfc(z / std::sqrt(2.0)));  // 2 * P(Z > z)
  return out;
}

}  // namespace tb
