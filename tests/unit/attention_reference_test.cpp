// The attention reference: a case computed on paper, softmax identities,
// large logits, fully masked rows, GQA against repeated heads, and a
// finite-difference check of the backward.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "kernels/attention/attention_reference.h"
#include "support/problem_helpers.h"

namespace tb {
namespace {

using Index = std::int64_t;

HostTensor tensor(std::vector<std::int64_t> shape, const std::vector<float>& values = {}) {
  HostTensor t(TensorSpec{"t", DType::kFp32, std::move(shape)});
  for (std::size_t i = 0; i < values.size(); ++i) t.set(i, values[i]);
  return t;
}

HostTensor random_tensor(std::vector<std::int64_t> shape, std::uint64_t stream) {
  HostTensor t = tensor(std::move(shape));
  fill_uniform(t, 42, stream);
  return t;
}

struct Operands {
  HostTensor q, k, v, dout;
};

Operands random_operands(const AttentionShape& s) {
  return {random_tensor({s.b, s.h, s.sq, s.d}, 0), random_tensor({s.b, s.kvh, s.skv, s.d}, 1),
          random_tensor({s.b, s.kvh, s.skv, s.d}, 2), random_tensor({s.b, s.h, s.sq, s.d}, 3)};
}

AttentionReference reference(const AttentionShape& s, const Operands& x) {
  return attention_reference(s, x.q, x.k, x.v, &x.dout);
}

void expect_all_finite(const std::vector<double>& xs, const char* what) {
  for (std::size_t i = 0; i < xs.size(); ++i) ASSERT_TRUE(std::isfinite(xs[i])) << what << "[" << i << "]";
}

// sq = skv = 2, d = 1, scale = 1, computed on paper:
//   q = (1, 0), k = (1, 0), v = (2, -1), do = (1, 1)
//   row 0: scores (1, 0): P = (e, 1)/(e+1), o = (2e-1)/(e+1), lse = log(e+1)
//   row 1: scores (0, 0): P = (1/2, 1/2),   o = 1/2,          lse = log 2
TEST(AttentionReference, TinyCaseByHand) {
  const AttentionShape s = attention_shape(1, 1, 1, 2, 2, 1, false, 1.0f);
  const HostTensor q = tensor({1, 1, 2, 1}, {1, 0}), k = tensor({1, 1, 2, 1}, {1, 0});
  const HostTensor v = tensor({1, 1, 2, 1}, {2, -1}), dout = tensor({1, 1, 2, 1}, {1, 1});
  const AttentionReference r = attention_reference(s, q, k, v, &dout);
  const double e = std::exp(1.0);
  const double p00 = e / (e + 1), p01 = 1 / (e + 1);
  const double o0 = (2 * e - 1) / (e + 1), o1 = 0.5;
  EXPECT_NEAR(r.o[0], o0, 1e-15);
  EXPECT_NEAR(r.o[1], o1, 1e-15);
  EXPECT_NEAR(r.lse[0], std::log(e + 1), 1e-15);
  EXPECT_NEAR(r.lse[1], std::log(2.0), 1e-15);

  // Backward by hand: D_i = do_i o_i; dS_ij = P_ij (do_i v_j - D_i).
  const double ds00 = p00 * (2 - o0), ds01 = p01 * (-1 - o0);
  const double ds10 = 0.5 * (2 - o1), ds11 = 0.5 * (-1 - o1);
  EXPECT_NEAR(r.dq[0], ds00 * 1 + ds01 * 0, 1e-15);  // dq_i = sum_j dS_ij k_j
  EXPECT_NEAR(r.dq[1], ds10 * 1 + ds11 * 0, 1e-15);
  EXPECT_NEAR(r.dk[0], ds00 * 1 + ds10 * 0, 1e-15);  // dk_j = sum_i dS_ij q_i
  EXPECT_NEAR(r.dk[1], ds01 * 1 + ds11 * 0, 1e-15);
  EXPECT_NEAR(r.dv[0], p00 * 1 + 0.5 * 1, 1e-15);    // dv_j = sum_i P_ij do_i
  EXPECT_NEAR(r.dv[1], p01 * 1 + 0.5 * 1, 1e-15);

  // Causal (sq == skv): row 0 sees only key 0, so o = v_0 and lse = s_00; row 1 is unchanged.
  const AttentionReference c = attention_reference(attention_shape(1, 1, 1, 2, 2, 1, true, 1.0f), q, k, v, &dout);
  EXPECT_NEAR(c.o[0], 2.0, 1e-15);
  EXPECT_NEAR(c.lse[0], 1.0, 1e-15);
  EXPECT_NEAR(c.o[1], o1, 1e-15);
  EXPECT_NEAR(c.dq[0], 0.0, 1e-15);  // one key: P = 1, dP - D = 0
  EXPECT_NEAR(c.dv[0], 1.0 + 0.5, 1e-15);
  EXPECT_NEAR(c.dv[1], 0.5, 1e-15);
}

// The scale multiplies the scores: scale 2 on q equals scale 1 on 2q.
TEST(AttentionReference, ScaleMultipliesTheScores) {
  const AttentionShape s2 = attention_shape(1, 2, 1, 3, 4, 5, true, 2.0f);
  Operands x = random_operands(s2);
  const AttentionReference a = reference(s2, x);
  Operands y = x;
  for (std::size_t i = 0; i < static_cast<std::size_t>(y.q.spec.elements()); ++i) y.q.set(i, 2.0f * x.q.at(i));
  const AttentionShape s1 = attention_shape(1, 2, 1, 3, 4, 5, true, 1.0f);
  const AttentionReference b = reference(s1, y);
  for (std::size_t i = 0; i < a.o.size(); ++i) EXPECT_NEAR(a.o[i], b.o[i], 1e-14);
  for (std::size_t i = 0; i < a.lse.size(); ++i) EXPECT_NEAR(a.lse[i], b.lse[i], 1e-14);
  // dq = 2 sum dS k = 2 dq'; dk = 2 sum dS q = sum dS (2q) = dk'; dv does not see the scale.
  for (std::size_t i = 0; i < a.dq.size(); ++i) EXPECT_NEAR(a.dq[i], 2.0 * b.dq[i], 1e-14);
  for (std::size_t i = 0; i < a.dk.size(); ++i) EXPECT_NEAR(a.dk[i], b.dk[i], 1e-14);
  for (std::size_t i = 0; i < a.dv.size(); ++i) EXPECT_NEAR(a.dv[i], b.dv[i], 1e-14);
}

// Rows of P sum to 1: with every v = 1 the output is 1.
TEST(AttentionReference, SoftmaxRowsSumToOne) {
  for (const bool causal : {false, true}) {
    const AttentionShape s = attention_shape(2, 2, 1, 5, 7, 3, causal, 0.6f);
    Operands x = random_operands(s);
    for (std::size_t i = 0; i < static_cast<std::size_t>(x.v.spec.elements()); ++i) x.v.set(i, 1.0f);
    const AttentionReference r = reference(s, x);
    for (double o : r.o) EXPECT_NEAR(o, 1.0, 1e-14);
    // dv_j = sum_i P_ij do_i; summed over j this is sum_i do_i (each row of P sums to 1).
    for (Index c = 0; c < s.d; ++c) {
      for (Index b = 0; b < s.b; ++b) {
        double dv_sum = 0.0, do_sum = 0.0;
        for (Index j = 0; j < s.skv; ++j) dv_sum += r.dv[static_cast<std::size_t>((b * s.skv + j) * s.d + c)];
        for (Index hq = 0; hq < s.h; ++hq) {
          for (Index i = 0; i < s.sq; ++i) {
            do_sum += x.dout.at(static_cast<std::size_t>(((b * s.h + hq) * s.sq + i) * s.d + c));
          }
        }
        EXPECT_NEAR(dv_sum, do_sum, 1e-12);
      }
    }
  }
}

// Uniform scores (q = 0) give the mean of the attended values and lse = log(count).
TEST(AttentionReference, UniformScoresGiveTheMeanOfV) {
  for (const bool causal : {false, true}) {
    const AttentionShape s = attention_shape(1, 1, 1, 3, 5, 2, causal, 1.0f);
    Operands x = random_operands(s);
    for (std::size_t i = 0; i < static_cast<std::size_t>(x.q.spec.elements()); ++i) x.q.set(i, 0.0f);
    const AttentionReference r = reference(s, x);
    for (Index i = 0; i < s.sq; ++i) {
      const Index n = causal ? i + (s.skv - s.sq) + 1 : s.skv;  // keys 0 .. n-1
      EXPECT_EQ(attention_attended_keys(s, i), n);
      for (Index c = 0; c < s.d; ++c) {
        double mean = 0.0;
        for (Index j = 0; j < n; ++j) mean += x.v.at(static_cast<std::size_t>(j * s.d + c));
        mean /= static_cast<double>(n);
        EXPECT_NEAR(r.o[static_cast<std::size_t>(i * s.d + c)], mean, 1e-15) << "row " << i;
      }
      EXPECT_NEAR(r.lse[static_cast<std::size_t>(i)], std::log(static_cast<double>(n)), 1e-15);
    }
  }
}

// Scores of magnitude 1e4 must not overflow: the row maximum is subtracted first.
TEST(AttentionReference, LargeLogitsStayFinite) {
  const AttentionShape s = attention_shape(1, 2, 1, 4, 6, 1, true, 1.0f);
  HostTensor q = tensor({1, 2, 4, 1}, {100, -100, 100, 100, -100, 100, 100, -100});
  HostTensor k = tensor({1, 1, 6, 1}, {100, -100, 100, 99, -100, 100});
  HostTensor v = tensor({1, 1, 6, 1}, {1, 2, 3, 4, 5, 6});
  HostTensor dout = tensor({1, 2, 4, 1}, {1, 1, 1, 1, 1, 1, 1, 1});
  const AttentionReference r = attention_reference(s, q, k, v, &dout);
  expect_all_finite(r.o, "o");
  expect_all_finite(r.lse, "lse");
  expect_all_finite(r.dq, "dq");
  expect_all_finite(r.dk, "dk");
  expect_all_finite(r.dv, "dv");
  // Head 0, row 0 (q = 100) attends keys 0..2 with scores 1e4, -1e4, 1e4: the two maxima share.
  EXPECT_NEAR(r.o[0], (1.0 + 3.0) / 2.0, 1e-12);
  EXPECT_NEAR(r.lse[0], 1e4 + std::log(2.0), 1e-9);
}

// attention_attended_keys agrees with AttentionShape::allowed and attended_pairs.
TEST(AttentionReference, AttendedKeysMatchTheShapeContract) {
  for (const bool causal : {false, true}) {
    for (const Index sq : {1, 2, 5, 9}) {
      for (const Index skv : {1, 3, 5, 12}) {
        const AttentionShape s = attention_shape(1, 1, 1, sq, skv, 1, causal, 1.0f);
        Index pairs = 0;
        for (Index i = 0; i < sq; ++i) {
          const Index n = attention_attended_keys(s, i);
          pairs += n;
          for (Index j = 0; j < skv; ++j) EXPECT_EQ(s.allowed(i, j), j < n) << i << "," << j;
        }
        EXPECT_EQ(pairs, s.attended_pairs()) << "sq=" << sq << " skv=" << skv << " causal=" << causal;
      }
    }
  }
}

// sq > skv under the causal mask: rows i < sq - skv attend nothing.
TEST(AttentionReference, FullyMaskedRowsAreZeroAndContributeNothing) {
  const AttentionShape big = attention_shape(1, 2, 2, 5, 3, 4, true, 0.5f);  // rows 0, 1 fully masked
  Operands x = random_operands(big);
  const AttentionReference r = reference(big, x);
  for (Index hq = 0; hq < big.h; ++hq) {
    for (Index i = 0; i < 2; ++i) {
      const Index row = hq * big.sq + i;
      EXPECT_EQ(attention_attended_keys(big, i), 0);
      EXPECT_EQ(r.lse[static_cast<std::size_t>(row)], -std::numeric_limits<double>::infinity());
      for (Index c = 0; c < big.d; ++c) {
        EXPECT_EQ(r.o[static_cast<std::size_t>(row * big.d + c)], 0.0);
        EXPECT_EQ(r.dq[static_cast<std::size_t>(row * big.d + c)], 0.0);
      }
    }
  }
  // The remaining rows 2..4 are exactly the problem sq = skv = 3, so dk and dv must match it.
  const AttentionShape small = attention_shape(1, 2, 2, 3, 3, 4, true, 0.5f);
  Operands y = random_operands(small);
  y.k = x.k;
  y.v = x.v;
  for (Index hq = 0; hq < 2; ++hq) {
    for (Index i = 0; i < 3; ++i) {
      for (Index c = 0; c < 4; ++c) {
        const auto from = static_cast<std::size_t>((hq * 5 + i + 2) * 4 + c);
        const auto to = static_cast<std::size_t>((hq * 3 + i) * 4 + c);
        y.q.set(to, x.q.at(from));
        y.dout.set(to, x.dout.at(from));
      }
    }
  }
  const AttentionReference t = reference(small, y);
  for (std::size_t e = 0; e < t.dk.size(); ++e) {
    EXPECT_NEAR(r.dk[e], t.dk[e], 1e-15);
    EXPECT_NEAR(r.dv[e], t.dv[e], 1e-15);
  }
}

// Grouped-query attention equals multi-head attention with each k/v head repeated
// for its h/kvh query heads; GQA's dk and dv are the sums over the repeated copies.
TEST(AttentionReference, GqaEqualsRepeatedKeyValueHeads) {
  for (const bool causal : {false, true}) {
    const Index b = 2, h = 6, kvh = 2, sq = 4, skv = 5, d = 3, group = h / kvh;
    const AttentionShape gqa = attention_shape(b, h, kvh, sq, skv, d, causal, 0.7f);
    const AttentionShape mha = attention_shape(b, h, h, sq, skv, d, causal, 0.7f);
    const Operands x = random_operands(gqa);
    Operands y{x.q, tensor({b, h, skv, d}), tensor({b, h, skv, d}), x.dout};
    for (Index bi = 0; bi < b; ++bi) {
      for (Index hq = 0; hq < h; ++hq) {
        for (Index e = 0; e < skv * d; ++e) {
          const auto from = static_cast<std::size_t>((bi * kvh + hq / group) * skv * d + e);
          const auto to = static_cast<std::size_t>((bi * h + hq) * skv * d + e);
          y.k.set(to, x.k.at(from));
          y.v.set(to, x.v.at(from));
        }
      }
    }
    const AttentionReference rg = reference(gqa, x), rm = reference(mha, y);
    for (std::size_t i = 0; i < rg.o.size(); ++i) EXPECT_NEAR(rg.o[i], rm.o[i], 1e-15);
    for (std::size_t i = 0; i < rg.lse.size(); ++i) EXPECT_NEAR(rg.lse[i], rm.lse[i], 1e-15);
    for (std::size_t i = 0; i < rg.dq.size(); ++i) EXPECT_NEAR(rg.dq[i], rm.dq[i], 1e-15);
    for (Index bi = 0; bi < b; ++bi) {
      for (Index hkv = 0; hkv < kvh; ++hkv) {
        for (Index e = 0; e < skv * d; ++e) {
          double dk = 0.0, dv = 0.0;
          for (Index g = 0; g < group; ++g) {
            dk += rm.dk[static_cast<std::size_t>((bi * h + hkv * group + g) * skv * d + e)];
            dv += rm.dv[static_cast<std::size_t>((bi * h + hkv * group + g) * skv * d + e)];
          }
          EXPECT_NEAR(rg.dk[static_cast<std::size_t>((bi * kvh + hkv) * skv * d + e)], dk, 1e-14);
          EXPECT_NEAR(rg.dv[static_cast<std::size_t>((bi * kvh + hkv) * skv * d + e)], dv, 1e-14);
        }
      }
    }
  }
}

// The per-row and per-key entry points agree with the whole-group functions.
TEST(AttentionReference, RowEntryPointsMatchTheGroupFunctions) {
  const AttentionShape s = attention_shape(1, 4, 2, 6, 5, 3, true, 0.5f);
  const Operands x = random_operands(s);
  const AttentionGroup grp = attention_group(s, x.q, x.k, x.v, &x.dout, 0, 1);
  const AttentionGroupForward fwd = attention_group_forward(s, grp);
  const AttentionGroupGrads grads = attention_group_backward(s, grp, fwd);
  const AttentionReference all = reference(s, x);
  for (Index g = 0; g < 2; ++g) {
    for (Index i = 0; i < s.sq; ++i) {
      const AttentionRow row = attention_forward_row(s, grp, g, i);
      const Index r = g * s.sq + i, global = (2 + g) * s.sq + i;  // query head hkv*group + g = 2 + g
      EXPECT_EQ(row.lse, fwd.lse[static_cast<std::size_t>(r)]);
      EXPECT_EQ(row.lse, all.lse[static_cast<std::size_t>(global)]);
      const std::vector<double> dq = attention_dq_row(s, grp, g, i, row);
      for (Index c = 0; c < s.d; ++c) {
        EXPECT_EQ(row.o[static_cast<std::size_t>(c)], all.o[static_cast<std::size_t>(global * s.d + c)]);
        EXPECT_EQ(dq[static_cast<std::size_t>(c)], grads.dq[static_cast<std::size_t>(r * s.d + c)]);
      }
    }
  }
  for (Index j = 0; j < s.skv; ++j) {
    const AttentionKeyGrad kg = attention_dkdv_row(s, grp, fwd, j);
    for (Index c = 0; c < s.d; ++c) {
      EXPECT_EQ(kg.dk[static_cast<std::size_t>(c)], all.dk[static_cast<std::size_t>((s.skv + j) * s.d + c)]);
      EXPECT_EQ(kg.dv[static_cast<std::size_t>(c)], all.dv[static_cast<std::size_t>((s.skv + j) * s.d + c)]);
    }
  }
}

// Central differences of loss = sum(o * do), entirely in double, against the
// reference backward: relative 1e-6 norm-wise and per element.
double loss(const AttentionShape& s, const AttentionGroup& grp) {
  const AttentionGroupForward fwd = attention_group_forward(s, grp);
  double sum = 0.0;
  for (std::size_t i = 0; i < fwd.o.size(); ++i) sum += fwd.o[i] * grp.dout[i];
  return sum;
}

void expect_gradient(const AttentionShape& s, AttentionGroup grp, std::vector<double> AttentionGroup::*operand,
                     const std::vector<double>& analytic, const char* what) {
  const double step = 1e-5;
  std::vector<double> numeric(analytic.size());
  for (std::size_t e = 0; e < analytic.size(); ++e) {
    const double x = (grp.*operand)[e];
    (grp.*operand)[e] = x + step;
    const double up = loss(s, grp);
    (grp.*operand)[e] = x - step;
    const double down = loss(s, grp);
    (grp.*operand)[e] = x;
    numeric[e] = (up - down) / (2 * step);
  }
  double diff2 = 0.0, ref2 = 0.0, max_abs = 0.0;
  for (std::size_t e = 0; e < analytic.size(); ++e) {
    diff2 += (numeric[e] - analytic[e]) * (numeric[e] - analytic[e]);
    ref2 += analytic[e] * analytic[e];
    max_abs = std::max(max_abs, std::fabs(analytic[e]));
  }
  ASSERT_GT(ref2, 0.0) << what;
  EXPECT_LE(std::sqrt(diff2 / ref2), 1e-6) << what;
  for (std::size_t e = 0; e < analytic.size(); ++e) {
    EXPECT_NEAR(numeric[e], analytic[e], 1e-6 * max_abs) << what << "[" << e << "]";
  }
}

TEST(AttentionReference, BackwardMatchesFiniteDifferences) {
  struct Case {
    Index sq, skv;
    bool causal;
  };
  // Two query heads share one key/value head, so dk and dv sum over heads.
  for (const Case c : {Case{3, 4, false}, Case{3, 4, true}, Case{4, 4, true}, Case{5, 3, true}}) {
    const AttentionShape s = attention_shape(1, 2, 1, c.sq, c.skv, 3, c.causal, 0.7f);
    AttentionGroup grp;
    std::uint64_t state = 12345;
    const auto next = [&state] {  // deterministic values in [-1.5, 1.5) with all 53 bits
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      return 3.0 * (static_cast<double>(state >> 11) * 0x1p-53) - 1.5;
    };
    for (auto* t : {&grp.q, &grp.dout}) {
      for (Index e = 0; e < 2 * c.sq * 3; ++e) t->push_back(next());
    }
    for (auto* t : {&grp.k, &grp.v}) {
      for (Index e = 0; e < c.skv * 3; ++e) t->push_back(next());
    }
    const AttentionGroupGrads grads = attention_group_backward(s, grp, attention_group_forward(s, grp));
    SCOPED_TRACE("sq=" + std::to_string(c.sq) + " skv=" + std::to_string(c.skv) + " causal=" +
                 std::to_string(c.causal));
    expect_gradient(s, grp, &AttentionGroup::q, grads.dq, "dq");
    expect_gradient(s, grp, &AttentionGroup::k, grads.dk, "dk");
    expect_gradient(s, grp, &AttentionGroup::v, grads.dv, "dv");
  }
}

}  // namespace
}  // namespace tb
