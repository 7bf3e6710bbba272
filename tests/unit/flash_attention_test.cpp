// The fused CPU attention kernels (backends/cpu/flash_attention.h), every
// instruction-set variant this CPU runs, against a naive attention written
// here: double accumulation over the materialized scores, on seeded uniform
// [-1, 1] inputs. Odd lengths, sq != skv both ways (causal with sq > skv has
// fully masked rows), grouped-query heads, d from 1 to 128, fp32 and bf16,
// and scores of magnitude 1e4.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/cpu/flash_attention.h"
#include "common/dtype.h"

namespace tb {
namespace {

using flash_detail::Isa;

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512}) {
    if (flash_detail::isa_supported(isa)) isas.push_back(isa);
  }
  return isas;
}

AttentionShape shape(std::int64_t b, std::int64_t h, std::int64_t kvh, std::int64_t sq, std::int64_t skv,
                     std::int64_t d, bool causal) {
  AttentionShape s;
  s.b = b, s.h = h, s.kvh = kvh, s.sq = sq, s.skv = skv, s.d = d, s.causal = causal;
  s.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  return s;
}

std::string describe(const AttentionShape& s) {
  std::ostringstream os;
  os << "b=" << s.b << " h=" << s.h << " kvh=" << s.kvh << " sq=" << s.sq << " skv=" << s.skv << " d=" << s.d
     << (s.causal ? " causal" : "") << " scale=" << s.scale;
  return os.str();
}

// Seeded uniform [-1, 1] times `amplitude`, never exactly zero.
std::vector<float> random_values(std::size_t n, std::uint32_t seed, float amplitude = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) {
    do {
      x = dist(gen) * amplitude;
    } while (x == 0.0f);
  }
  return v;
}

// The inputs, in double, as the kernel sees them (bf16-rounded for bf16).
struct Inputs {
  std::vector<double> q, k, v, dout;
};

struct Outputs {
  std::vector<double> o, lse, dq, dk, dv;
};

// Naive attention: scores materialized per query row, double throughout.
Outputs naive_attention(const AttentionShape& s, const Inputs& in) {
  const std::int64_t d = s.d, group = s.h / s.kvh;
  Outputs r;
  r.o.assign(in.q.size(), 0.0);
  r.dq.assign(in.q.size(), 0.0);
  r.dk.assign(in.k.size(), 0.0);
  r.dv.assign(in.k.size(), 0.0);
  r.lse.assign(static_cast<std::size_t>(s.b * s.h * s.sq), -kInf);
  std::vector<double> p(static_cast<std::size_t>(s.skv));
  for (std::int64_t b = 0; b < s.b; ++b) {
    for (std::int64_t h = 0; h < s.h; ++h) {
      const std::int64_t kv = b * s.kvh + h / group;
      for (std::int64_t i = 0; i < s.sq; ++i) {
        const std::int64_t row = (b * s.h + h) * s.sq + i;
        const double* qi = &in.q[static_cast<std::size_t>(row * d)];
        const double* doi = &in.dout[static_cast<std::size_t>(row * d)];
        double mx = -kInf;
        for (std::int64_t j = 0; j < s.skv; ++j) {
          p[static_cast<std::size_t>(j)] = -kInf;
          if (!s.allowed(i, j)) continue;
          const double* kj = &in.k[static_cast<std::size_t>((kv * s.skv + j) * d)];
          double dot = 0.0;
          for (std::int64_t c = 0; c < d; ++c) dot += qi[c] * kj[c];
          p[static_cast<std::size_t>(j)] = static_cast<double>(s.scale) * dot;
          mx = std::max(mx, p[static_cast<std::size_t>(j)]);
        }
        if (mx == -kInf) continue;  // fully masked: o = 0, lse = -inf, no gradient
        double sum = 0.0;
        for (double& x : p) {
          x = std::exp(x - mx);
          sum += x;
        }
        r.lse[static_cast<std::size_t>(row)] = mx + std::log(sum);
        double* oi = &r.o[static_cast<std::size_t>(row * d)];
        for (std::int64_t j = 0; j < s.skv; ++j) {
          p[static_cast<std::size_t>(j)] /= sum;
          const double* vj = &in.v[static_cast<std::size_t>((kv * s.skv + j) * d)];
          for (std::int64_t c = 0; c < d; ++c) oi[c] += p[static_cast<std::size_t>(j)] * vj[c];
        }
        double D = 0.0;
        for (std::int64_t c = 0; c < d; ++c) D += doi[c] * oi[c];
        for (std::int64_t j = 0; j < s.skv; ++j) {
          const double pj = p[static_cast<std::size_t>(j)];
          if (pj == 0.0) continue;
          const std::size_t kj = static_cast<std::size_t>((kv * s.skv + j) * d);
          double dp = 0.0;
          for (std::int64_t c = 0; c < d; ++c) dp += doi[c] * in.v[kj + static_cast<std::size_t>(c)];
          const double ds = pj * (dp - D) * static_cast<double>(s.scale);
          for (std::int64_t c = 0; c < d; ++c) {
            const std::size_t ic = static_cast<std::size_t>(row * d + c), jc = kj + static_cast<std::size_t>(c);
            r.dq[ic] += ds * in.k[jc];
            r.dk[jc] += ds * in.q[ic];
            r.dv[jc] += pj * doi[c];
          }
        }
      }
    }
  }
  return r;
}

// ||x - ref|| / ||ref|| (2-norms); requires every x finite.
double relative_error(const std::vector<double>& x, const std::vector<double>& ref) {
  double diff = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) return kInf;
    diff += (x[i] - ref[i]) * (x[i] - ref[i]);
    norm += ref[i] * ref[i];
  }
  return norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

template <typename T>
struct Typed;
template <>
struct Typed<float> {
  static constexpr const char* name = "fp32";
  static float store(float x) { return x; }
  static double load(float x) { return x; }
};
template <>
struct Typed<std::uint16_t> {
  static constexpr const char* name = "bf16";
  static std::uint16_t store(float x) { return float_to_bf16(x); }
  static double load(std::uint16_t x) { return bf16_to_float(x); }
};

template <typename T>
std::vector<T> to_t(const std::vector<float>& v) {
  std::vector<T> r(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) r[i] = Typed<T>::store(v[i]);
  return r;
}
template <typename T>
std::vector<double> to_double(const std::vector<T>& v) {
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) r[i] = Typed<T>::load(v[i]);
  return r;
}

// Runs forward and backward with `isa` on seeded inputs (q and k times
// `amplitude`) and compares every output with the naive attention: o, lse and
// dv within `tolerance`, dq and dk within `score_grad_tolerance` (infinity:
// only finite). Every output must be finite (lse: but for masked rows).
template <typename T>
void check(Isa isa, const AttentionShape& s, double tolerance, float amplitude = 1.0f,
           double score_grad_tolerance = -1.0) {
  if (score_grad_tolerance < 0) score_grad_tolerance = tolerance;
  SCOPED_TRACE(std::string(flash_detail::isa_name(isa)) + " " + Typed<T>::name + " " + describe(s));
  const std::size_t nq = static_cast<std::size_t>(s.b * s.h * s.sq * s.d);
  const std::size_t nk = static_cast<std::size_t>(s.b * s.kvh * s.skv * s.d);
  const std::uint32_t seed = static_cast<std::uint32_t>(s.sq * 131 + s.skv * 7 + s.d + (s.causal ? 1000 : 0));
  const std::vector<T> q = to_t<T>(random_values(nq, seed, amplitude));
  const std::vector<T> k = to_t<T>(random_values(nk, seed + 1, amplitude));
  const std::vector<T> v = to_t<T>(random_values(nk, seed + 2));
  const std::vector<T> dout = to_t<T>(random_values(nq, seed + 3));
  const Outputs ref = naive_attention(s, Inputs{to_double(q), to_double(k), to_double(v), to_double(dout)});

  // Outputs pre-filled with NaN: every element must be written.
  const T nan = Typed<T>::store(std::numeric_limits<float>::quiet_NaN());
  std::vector<T> o(nq, nan), dq(nq, nan), dk(nk, nan), dv(nk, nan);
  std::vector<float> lse(ref.lse.size(), std::numeric_limits<float>::quiet_NaN());
  flash_detail::forward<T>(isa, s, q.data(), k.data(), v.data(), o.data(), lse.data());
  flash_detail::backward<T>(isa, s, q.data(), k.data(), v.data(), o.data(), lse.data(), dout.data(), dq.data(),
                            dk.data(), dv.data());

  const std::vector<double> od = to_double(o), dqd = to_double(dq), dkd = to_double(dk), dvd = to_double(dv);
  // Fully masked rows exactly: o = 0, lse = -inf, dq = 0. The others: finite lse.
  std::vector<double> lse_finite, ref_lse_finite;
  for (std::size_t row = 0; row < ref.lse.size(); ++row) {
    if (ref.lse[row] == -kInf) {
      ASSERT_EQ(lse[row], -std::numeric_limits<float>::infinity()) << "row " << row;
      for (std::int64_t c = 0; c < s.d; ++c) {
        const std::size_t i = row * static_cast<std::size_t>(s.d) + static_cast<std::size_t>(c);
        ASSERT_EQ(od[i], 0.0) << "o, masked row " << row;
        ASSERT_EQ(dqd[i], 0.0) << "dq, masked row " << row;
      }
    } else {
      ASSERT_TRUE(std::isfinite(lse[row])) << "row " << row << " lse " << lse[row];
      lse_finite.push_back(lse[row]);
      ref_lse_finite.push_back(ref.lse[row]);
    }
  }
  EXPECT_LT(relative_error(od, ref.o), tolerance) << "o";
  EXPECT_LT(relative_error(lse_finite, ref_lse_finite), tolerance) << "lse";
  EXPECT_LT(relative_error(dqd, ref.dq), score_grad_tolerance) << "dq";
  EXPECT_LT(relative_error(dkd, ref.dk), score_grad_tolerance) << "dk";
  EXPECT_LT(relative_error(dvd, ref.dv), tolerance) << "dv";
}

// (b, h, kvh, sq, skv, d), each run causal and not.
const std::vector<std::vector<std::int64_t>> kShapes = {
    {1, 1, 1, 1, 1, 1},      {1, 1, 1, 7, 7, 16},     {1, 1, 1, 129, 129, 64},  {2, 4, 2, 129, 129, 16},
    {1, 4, 1, 129, 7, 16},   {1, 4, 2, 7, 129, 128},  {1, 2, 1, 200, 65, 64},   {1, 2, 2, 65, 300, 128},
    {1, 1, 1, 300, 300, 1},  {1, 4, 4, 1, 129, 64},   {1, 4, 2, 129, 1, 16},    {2, 2, 1, 70, 129, 128},
};

template <typename T>
void check_all(double tolerance) {
  for (Isa isa : supported_isas()) {
    for (const auto& sh : kShapes) {
      for (bool causal : {false, true}) {
        check<T>(isa, shape(sh[0], sh[1], sh[2], sh[3], sh[4], sh[5], causal), tolerance);
      }
    }
  }
}

TEST(FlashAttentionTest, Fp32MatchesNaiveAttention) { check_all<float>(1e-5); }

TEST(FlashAttentionTest, Bf16MatchesNaiveAttentionOnRoundedInputs) { check_all<std::uint16_t>(2e-2); }

// q and k times 100 with scale 1: scores of magnitude 1e4 and more. Softmax is
// then nearly one-hot, and fp32 scores carry an absolute error of about 1e-3,
// so o, lse and dv are compared loosely; dS = P * (dP - D) is then a
// cancellation of nearly equal terms (ill-conditioned in any precision), so dq
// and dk are only required finite. The point is that nothing overflows.
TEST(FlashAttentionTest, LargeLogitsStayFinite) {
  for (Isa isa : supported_isas()) {
    for (bool causal : {false, true}) {
      for (const auto& sh : std::vector<std::vector<std::int64_t>>{{1, 2, 1, 129, 129, 16}, {1, 2, 2, 150, 70, 16}}) {
        AttentionShape s = shape(sh[0], sh[1], sh[2], sh[3], sh[4], sh[5], causal);
        s.scale = 1.0f;
        check<float>(isa, s, 0.05, 100.0f, kInf);
        check<std::uint16_t>(isa, s, 0.05, 100.0f, kInf);
      }
    }
  }
}

TEST(FlashAttentionTest, LargeLogitsReachTenThousand) {  // the premise of LargeLogitsStayFinite
  const std::vector<float> q = random_values(129 * 16, 129 * 131 + 129 * 7 + 16, 100.0f);
  const std::vector<float> k = random_values(129 * 16, 129 * 131 + 129 * 7 + 16 + 1, 100.0f);
  double largest = 0.0;
  for (int i = 0; i < 129; ++i) {
    for (int j = 0; j < 129; ++j) {
      double dot = 0.0;
      for (int c = 0; c < 16; ++c) dot += static_cast<double>(q[i * 16 + c]) * k[j * 16 + c];
      largest = std::max(largest, std::abs(dot));
    }
  }
  EXPECT_GT(largest, 1e4);
}

TEST(FlashAttentionTest, BestIsaIsSupported) {
  EXPECT_TRUE(flash_detail::isa_supported(flash_detail::best_isa()));
  EXPECT_TRUE(flash_detail::isa_supported(Isa::kPortable));
}

TEST(FlashAttentionTest, PublicEntryPointsUseTheBestIsa) {
  const AttentionShape s = shape(1, 2, 1, 33, 40, 8, true);
  const std::size_t nq = 2 * 33 * 8, nk = 40 * 8;
  const std::vector<float> q = random_values(nq, 1), k = random_values(nk, 2), v = random_values(nk, 3),
                           dout = random_values(nq, 4);
  std::vector<float> o1(nq), o2(nq), lse1(66), lse2(66), dq1(nq), dq2(nq), dk1(nk), dk2(nk), dv1(nk), dv2(nk);
  flash_attention_forward(s, q.data(), k.data(), v.data(), o1.data(), lse1.data());
  flash_detail::forward(flash_detail::best_isa(), s, q.data(), k.data(), v.data(), o2.data(), lse2.data());
  flash_attention_backward(s, q.data(), k.data(), v.data(), o1.data(), lse1.data(), dout.data(), dq1.data(),
                           dk1.data(), dv1.data());
  flash_detail::backward(flash_detail::best_isa(), s, q.data(), k.data(), v.data(), o1.data(), lse1.data(),
                         dout.data(), dq2.data(), dk2.data(), dv2.data());
  EXPECT_EQ(o1, o2);
  EXPECT_EQ(lse1, lse2);
  EXPECT_EQ(dq1, dq2);
  EXPECT_EQ(dk1, dk2);
  EXPECT_EQ(dv1, dv2);
}

// The backward's dq accumulators: thread counts for which b * kvh does not
// balance the threads split the key tiles (splits > 1), and the result must not
// depend on it. 1 and 4 threads on 1 kv head: 1 and 4 splits.
TEST(FlashAttentionTest, KeySplitsOfTheBackwardMatchNaiveAttention) {
  const int before = omp_get_max_threads();
  for (int threads : {1, 3, 4}) {
    omp_set_num_threads(threads);
    for (const auto& sh : std::vector<std::vector<std::int64_t>>{{1, 2, 1, 129, 300, 16}, {1, 3, 3, 70, 200, 64}}) {
      for (bool causal : {false, true}) {
        const AttentionShape s = shape(sh[0], sh[1], sh[2], sh[3], sh[4], sh[5], causal);
        SCOPED_TRACE(std::to_string(threads) + " threads, " +
                     std::to_string(flash_detail::backward_splits(s, threads)) + " splits");
        check<float>(flash_detail::best_isa(), s, 1e-5);
        check<std::uint16_t>(flash_detail::best_isa(), s, 2e-2);
      }
    }
  }
  omp_set_num_threads(before);
}

TEST(FlashAttentionTest, BackwardSplitsOnlyWhereTheHeadsDoNotBalanceTheThreads) {
  EXPECT_EQ(flash_detail::backward_splits(shape(1, 16, 16, 2048, 2048, 128, false), 2), 1);  // 8 heads per thread
  EXPECT_EQ(flash_detail::backward_splits(shape(1, 16, 4, 2048, 2048, 128, false), 8), 4);   // 4 kv heads, 8 threads
  EXPECT_EQ(flash_detail::backward_splits(shape(1, 3, 3, 2048, 2048, 128, false), 2), 2);    // 3 heads, 2 threads
  EXPECT_EQ(flash_detail::backward_splits(shape(2, 32, 8, 512, 512, 128, false), 4), 1);     // 16 kv heads, 4 threads
  EXPECT_EQ(flash_detail::backward_splits(shape(1, 1, 1, 100, 100, 64, false), 64), 2);      // one split per key tile
  // s = 131072, h = 8, d = 128: one dq accumulator is 512 MiB; two would pass the 1 GiB cap.
  EXPECT_EQ(flash_detail::backward_splits(shape(1, 8, 1, 131072, 131072, 128, false), 2), 2);
  EXPECT_EQ(flash_detail::backward_splits(shape(1, 8, 1, 131072, 131072, 128, false), 4), 2);
  EXPECT_EQ(flash_detail::backward_splits(shape(1, 16, 1, 131072, 131072, 128, false), 4), 1);
}

// The phase breakdown is filled where asked, and the outputs are the same with it.
TEST(FlashAttentionTest, PhaseBreakdownAddsUpAndChangesNothing) {
  const AttentionShape s = shape(1, 4, 2, 200, 300, 64, true);
  const std::size_t nq = 4 * 200 * 64, nk = 2 * 300 * 64;
  const std::vector<float> q = random_values(nq, 1), k = random_values(nk, 2), v = random_values(nk, 3),
                           dout = random_values(nq, 4);
  std::vector<float> o1(nq), o2(nq), lse1(800), lse2(800), dq1(nq), dq2(nq), dk1(nk), dk2(nk), dv1(nk), dv2(nk);
  const Isa isa = flash_detail::best_isa();
  flash_detail::Phases fwd, bwd;
  flash_detail::forward(isa, s, q.data(), k.data(), v.data(), o1.data(), lse1.data());
  flash_detail::forward(isa, s, q.data(), k.data(), v.data(), o2.data(), lse2.data(), &fwd);
  flash_detail::backward(isa, s, q.data(), k.data(), v.data(), o1.data(), lse1.data(), dout.data(), dq1.data(),
                         dk1.data(), dv1.data());
  flash_detail::backward(isa, s, q.data(), k.data(), v.data(), o1.data(), lse1.data(), dout.data(), dq2.data(),
                         dk2.data(), dv2.data(), &bwd);
  EXPECT_EQ(o1, o2);
  EXPECT_EQ(lse1, lse2);
  EXPECT_EQ(dq1, dq2);
  EXPECT_EQ(dk1, dk2);
  EXPECT_EQ(dv1, dv2);
  for (const flash_detail::Phases* p : {&fwd, &bwd}) {
    EXPECT_GT(p->matmul_s, 0.0);
    EXPECT_GT(p->exp_s, 0.0);
    EXPECT_GT(p->reduce_s, 0.0);
    EXPECT_GT(p->other_s, 0.0);
  }
}

TEST(FlashAttentionTest, RejectsBadShapes) {
  std::vector<float> buf(64), lse(8);
  AttentionShape s = shape(1, 3, 2, 2, 2, 4, false);  // h not a multiple of kvh
  EXPECT_THROW(flash_attention_forward(s, buf.data(), buf.data(), buf.data(), buf.data(), lse.data()),
               std::invalid_argument);
  s = shape(1, 1, 1, 0, 2, 4, false);
  EXPECT_THROW(flash_attention_forward(s, buf.data(), buf.data(), buf.data(), buf.data(), lse.data()),
               std::invalid_argument);
}

}  // namespace
}  // namespace tb
