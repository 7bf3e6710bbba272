#include "analysis/change_points.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <random>

namespace tb {
namespace {

// SplitMix64's finalizer: spreads a 64-bit value over all bits.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e37'79b9'7f4a'7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58'476d'1ce4'e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d0'49bb'1331'11ebULL;
  return x ^ (x >> 31);
}

// Uniform in [0, bound), bound > 0, the same on every standard library
// (Lemire's multiply-shift with rejection; std::uniform_int_distribution is
// implementation-defined).
std::uint64_t draw_below(std::mt19937_64& gen, std::uint64_t bound) {
  unsigned __int128 product = static_cast<unsigned __int128>(gen()) * bound;
  auto low = static_cast<std::uint64_t>(product);
  if (low < bound) {
    const std::uint64_t reject_below = (0 - bound) % bound;
    while (low < reject_below) {
      product = static_cast<unsigned __int128>(gen()) * bound;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

// One segment under test: values centred on their mean, and per admissible
// split k (first k points before it) the weight n / (k (n - k)), so that the
// least-squares gain is G(k) = weight[k] * (prefix sum of the centred values)^2.
class SegmentScan {
 public:
  SegmentScan(std::span<const double> segment, std::size_t min_segment) : n_(segment.size()), min_(min_segment) {
    double mean = 0.0;
    for (double v : segment) mean += v;
    mean /= static_cast<double>(n_);
    centred_.assign(segment.begin(), segment.end());
    for (double& v : centred_) v -= mean;
    weight_.assign(n_, 0.0);
    for (std::size_t k = min_; k + min_ <= n_; ++k) {
      weight_[k] = static_cast<double>(n_) / (static_cast<double>(k) * static_cast<double>(n_ - k));
    }
  }

  // Largest G(k) of the values in their current order; its split in *best_k.
  double max_gain(std::size_t* best_k = nullptr) const {
    double prefix = 0.0, best = -1.0;
    std::size_t arg = min_;
    for (std::size_t k = 1; k + min_ <= n_; ++k) {
      prefix += centred_[k - 1];
      if (k < min_) continue;
      const double gain = weight_[k] * prefix * prefix;
      if (gain > best) {
        best = gain;
        arg = k;
      }
    }
    if (best_k != nullptr) *best_k = arg;
    return best;
  }

  // The split k maximizing the posterior probability that the change lies
  // within `window` points of k, for values in their original order: flat
  // priors on the change and the two levels, the noise variance taken from
  // the best two-level fit, so P(change at j) ~ exp(G(j) / (2 var)) /
  // sqrt(j (n - j)). window 0 or a noise-free fit gives the least-squares split.
  std::size_t locate(std::size_t window) const {
    std::size_t best_k = 0;
    const double best_gain = max_gain(&best_k);
    double total = 0.0;
    for (double v : centred_) total += v * v;
    const double variance = (total - best_gain) / static_cast<double>(n_ - 2);
    if (window == 0 || !(variance > 1e-300)) return best_k;
    std::vector<double> posterior(n_ + 1, 0.0);
    double prefix = 0.0;
    for (std::size_t k = 1; k + min_ <= n_; ++k) {
      prefix += centred_[k - 1];
      if (k < min_) continue;
      const double gain = weight_[k] * prefix * prefix;
      posterior[k] = std::exp((gain - best_gain) / (2.0 * variance)) * std::sqrt(weight_[k]);
    }
    // Windows whose masses differ by rounding only (a sharp peak lies in
    // several) go to the split with the larger probability of its own.
    double best_mass = -1.0;
    for (std::size_t k = min_; k + min_ <= n_; ++k) {
      double mass = 0.0;
      for (std::size_t j = k > window ? k - window : 0; j <= std::min(k + window, n_); ++j) mass += posterior[j];
      const bool tie = std::fabs(mass - best_mass) <= 1e-9 * best_mass;
      if (tie ? posterior[k] > posterior[best_k] : mass > best_mass) {
        best_mass = std::max(mass, best_mass);
        best_k = k;
      }
    }
    return best_k;
  }

  void shuffle(std::mt19937_64& gen) {
    for (std::size_t i = n_ - 1; i > 0; --i) std::swap(centred_[i], centred_[draw_below(gen, i + 1)]);
  }

 private:
  std::size_t n_, min_;
  std::vector<double> centred_, weight_;
};

struct SplitTest {
  bool significant = false;
  std::size_t split = 0;  // points before the split, within the segment
  double p_value = 1.0;
};

SplitTest test_segment(std::span<const double> segment, std::size_t offset, const ChangePointOptions& options,
                       std::size_t min_segment) {
  SplitTest out;
  if (segment.size() < 2 * min_segment) return out;
  SegmentScan scan(segment, min_segment);
  const double observed = scan.max_gain();
  if (!(observed > 0.0)) return out;  // a constant segment
  out.split = scan.locate(static_cast<std::size_t>(std::max(options.location_window, 0)));
  const int permutations = std::max(options.permutations, 1);
  // p = (1 + reached) / (1 + permutations) <= max_p_value  <=>  reached <= allowed.
  const double allowed = options.max_p_value * (permutations + 1) - 1.0;
  const double reach = observed * (1.0 - 1e-12);  // equal up to rounding counts as reached
  std::mt19937_64 gen(mix(options.seed ^ mix(offset ^ mix(segment.size()))));
  int reached = 0;
  for (int i = 0; i < permutations; ++i) {
    scan.shuffle(gen);
    if (scan.max_gain() >= reach && ++reached > allowed) return out;  // cannot become significant
  }
  out.p_value = (1.0 + reached) / (1.0 + permutations);
  out.significant = out.p_value <= options.max_p_value;
  return out;
}

struct Split {
  std::size_t index;
  double p_value;
};

// Binary segmentation of series[lo, hi): appends every significant split.
void segment(std::span<const double> series, std::size_t lo, std::size_t hi, const ChangePointOptions& options,
             std::size_t min_segment, std::vector<Split>& splits) {
  const SplitTest t = test_segment(series.subspan(lo, hi - lo), lo, options, min_segment);
  if (!t.significant) return;
  splits.push_back({lo + t.split, t.p_value});
  segment(series, lo, lo + t.split, options, min_segment, splits);
  segment(series, lo + t.split, hi, options, min_segment, splits);
}

double mean_of(std::span<const double> s) {
  double sum = 0.0;
  for (double v : s) sum += v;
  return sum / static_cast<double>(s.size());
}

}  // namespace

std::vector<ChangePoint> detect_change_points(std::span<const double> series, const ChangePointOptions& options) {
  assert(std::all_of(series.begin(), series.end(), [](double v) { return std::isfinite(v) && v > 0.0; }));
  const auto min_segment = static_cast<std::size_t>(std::max(options.min_segment, 1));
  std::vector<Split> splits;
  segment(series, 0, series.size(), options, min_segment, splits);
  std::sort(splits.begin(), splits.end(), [](const Split& a, const Split& b) { return a.index < b.index; });

  std::vector<ChangePoint> out;
  for (std::size_t i = 0; i < splits.size(); ++i) {
    const std::size_t begin = i == 0 ? 0 : splits[i - 1].index;
    const std::size_t end = i + 1 == splits.size() ? series.size() : splits[i + 1].index;
    ChangePoint cp;
    cp.index = splits[i].index;
    cp.mean_before = mean_of(series.subspan(begin, cp.index - begin));
    cp.mean_after = mean_of(series.subspan(cp.index, end - cp.index));
    cp.relative_change = (cp.mean_after - cp.mean_before) / cp.mean_before;
    cp.p_value = splits[i].p_value;
    if (std::fabs(cp.relative_change) >= options.min_relative_change) out.push_back(cp);
  }
  return out;
}

}  // namespace tb
