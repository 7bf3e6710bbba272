// GemmProblem::verify: exact outputs pass; perturbed, NaN and never-written
// outputs fail; tolerances follow the documented formula (fp8 and TF32 input
// rounding included); large problems are sampled.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "kernels/gemm/gemm_problem.h"
#include "kernels/gemm/gemm_reference.h"

namespace tb {

// Readable parameters in gtest's failure messages.
static void PrintTo(DType dtype, std::ostream* os) { *os << dtype_name(dtype); }

namespace {

constexpr std::uint64_t kSeed = 42;

// The reference product, rounded once to the problem's dtype: what a perfect backend returns.
std::vector<HostTensor> exact_outputs(const GemmProblem& p, const std::vector<HostTensor>& inputs) {
  HostTensor c(p.output_specs().at(0));
  const std::vector<double> ref = gemm_reference(p, inputs.at(0), inputs.at(1));
  for (std::size_t i = 0; i < ref.size(); ++i) c.set(i, static_cast<float>(ref[i]));
  return {c};
}

// The entry whose value is largest relative to its error scale (least cancellation).
std::int64_t best_conditioned_entry(const GemmProblem& p, const std::vector<HostTensor>& inputs) {
  std::int64_t best = 0;
  double best_ratio = -1.0;
  for (std::int64_t i = 0; i < p.m(); ++i) {
    for (std::int64_t j = 0; j < p.n(); ++j) {
      const GemmEntry e = gemm_reference_entry(p, inputs[0], inputs[1], i, j);
      const double ratio = std::fabs(e.value) / e.abs_bound;
      if (ratio > best_ratio) {
        best_ratio = ratio;
        best = i * p.n() + j;
      }
    }
  }
  return best;
}

// docs/verification.md#tolerance, written out: 2 u(C) + 8 sqrt(K) u_acc, where
// fp8's C is bf16 (u = 2^-8) and its accumulation budget is 2^-22.
double expected_tolerance(DType dtype, std::int64_t k) {
  const bool fp8 = dtype == DType::kFp8E4m3;
  const double u_c = fp8 ? 0x1p-8 : unit_roundoff(dtype);
  const double u_acc = fp8 ? 0x1p-22 : 0x1p-24;
  return 2.0 * u_c + 8.0 * std::sqrt(static_cast<double>(k)) * u_acc;
}

class GemmVerifyDtypeTest : public ::testing::TestWithParam<DType> {};

TEST_P(GemmVerifyDtypeTest, ExactReferenceOutputPassesEveryEntry) {
  const GemmProblem p(9, 13, 64, false, true, GetParam());
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  const Verification v = p.verify(inputs, exact_outputs(p, inputs), kSeed);
  EXPECT_TRUE(v.passed) << v.detail;
  EXPECT_EQ(v.metric, "gemm_normalized_abs");
  EXPECT_EQ(v.checked, 9 * 13);
  EXPECT_EQ(v.total, 9 * 13);
  EXPECT_EQ(v.nonfinite, 0);
  EXPECT_LE(v.max_error, v.tolerance);
  if (GetParam() != DType::kFp32) {
    EXPECT_GT(v.max_error, 0.0) << "rounding to the output dtype should show";
  }
}

TEST_P(GemmVerifyDtypeTest, ToleranceIsTwoOutputUnitsPlusSqrtKFp32Growth) {
  for (std::int64_t k : {1, 64, 1000}) {
    const GemmProblem p(2, 2, k, false, false, GetParam());
    const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
    const Verification v = p.verify(inputs, exact_outputs(p, inputs), kSeed);
    EXPECT_DOUBLE_EQ(v.tolerance, expected_tolerance(GetParam(), k)) << "k=" << k;
  }
}

TEST_P(GemmVerifyDtypeTest, OneElementOffByFivePercentOfItsScaleFails) {
  const GemmProblem p(6, 7, 16, true, false, GetParam());
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  std::vector<HostTensor> outputs = exact_outputs(p, inputs);
  const std::int64_t bad = 3 * 7 + 4;
  const GemmEntry e = gemm_reference_entry(p, inputs[0], inputs[1], 3, 4);
  outputs[0].set(static_cast<std::size_t>(bad), static_cast<float>(e.value + 0.05 * e.abs_bound));
  const Verification v = p.verify(inputs, outputs, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, 0);
  EXPECT_GT(v.max_error, v.tolerance);
  EXPECT_NEAR(v.max_error, 0.05, 0.01);  // 5% of the scale, give or take the dtype rounding
  EXPECT_NE(v.detail.find("c[3,4]"), std::string::npos) << v.detail;
}

INSTANTIATE_TEST_SUITE_P(AllDtypes, GemmVerifyDtypeTest,
                         ::testing::ValuesIn(kAllDTypes),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(GemmVerifyTest, Fp32RelativePerturbationOf1e3Fails) {
  const GemmProblem p(8, 8, 64, false, false, DType::kFp32);
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  std::vector<HostTensor> outputs = exact_outputs(p, inputs);
  const std::int64_t idx = best_conditioned_entry(p, inputs);
  const GemmEntry e = gemm_reference_entry(p, inputs[0], inputs[1], idx / 8, idx % 8);
  const float perturbed = static_cast<float>(e.value * (1.0 + 1e-3));
  outputs[0].set(static_cast<std::size_t>(idx), perturbed);
  const double expected_error = std::fabs(static_cast<double>(perturbed) - e.value) / e.abs_bound;
  ASSERT_GT(expected_error, expected_tolerance(DType::kFp32, 64)) << "test setup: perturbation too small";

  const Verification v = p.verify(inputs, outputs, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_DOUBLE_EQ(v.max_error, expected_error);
  const std::string where = "c[" + std::to_string(idx / 8) + "," + std::to_string(idx % 8) + "]";
  EXPECT_NE(v.detail.find(where), std::string::npos) << v.detail;
}

TEST(GemmVerifyTest, Fp32OneUlpOffPasses) {
  const GemmProblem p(8, 8, 64, false, false, DType::kFp32);
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  std::vector<HostTensor> outputs = exact_outputs(p, inputs);
  for (std::size_t i = 0; i < 64; ++i) outputs[0].set(i, std::nextafter(outputs[0].at(i), INFINITY));
  const Verification v = p.verify(inputs, outputs, kSeed);
  EXPECT_TRUE(v.passed) << v.detail;
  EXPECT_GT(v.max_error, 0.0);
}

TEST(GemmVerifyTest, OneNanElementFailsAndIsCounted) {
  const GemmProblem p(5, 4, 3, false, false, DType::kFp32);
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  std::vector<HostTensor> outputs = exact_outputs(p, inputs);
  outputs[0].set(2 * 4 + 1, std::numeric_limits<float>::quiet_NaN());
  const Verification v = p.verify(inputs, outputs, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, 1);
  EXPECT_EQ(v.checked, 20);
  EXPECT_TRUE(std::isinf(v.max_error));
  EXPECT_NE(v.detail.find("c[2,1]"), std::string::npos) << v.detail;
  EXPECT_NE(v.detail.find("1 checked entries are NaN or infinite"), std::string::npos) << v.detail;
}

TEST(GemmVerifyTest, InfiniteElementFails) {
  const GemmProblem p(3, 3, 3, false, false, DType::kFp16);
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  std::vector<HostTensor> outputs = exact_outputs(p, inputs);
  outputs[0].set(8, 1e6f);  // overflows fp16 to inf
  const Verification v = p.verify(inputs, outputs, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, 1);
}

TEST(GemmVerifyTest, NeverWrittenOutputsFail) {
  for (DType dtype : kAllDTypes) {
    const GemmProblem p(4, 6, 5, true, true, dtype);
    const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
    HostTensor c(p.output_specs()[0]);
    fill_nan(c);
    const Verification v = p.verify(inputs, {c}, kSeed);
    EXPECT_FALSE(v.passed) << dtype_name(dtype);
    EXPECT_EQ(v.nonfinite, 24) << dtype_name(dtype);
    EXPECT_EQ(v.checked, 24) << dtype_name(dtype);
  }
}

TEST(GemmVerifyTest, ZeroOutputsFail) {
  // A backend that writes zeros instead of the product must not pass.
  const GemmProblem p(4, 4, 8, false, false, DType::kFp32);
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  const HostTensor zeros(p.output_specs()[0]);
  const Verification v = p.verify(inputs, {zeros}, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, 0);
  EXPECT_GT(v.max_error, 0.1);
}

TEST(GemmVerifyTest, WrongShapeOrCountFails) {
  const GemmProblem p(4, 4, 4, false, false, DType::kFp32);
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  const HostTensor small(TensorSpec{"c", DType::kFp32, {4, 3}});
  Verification v = p.verify(inputs, {small}, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.detail.find("wrong count or shape"), std::string::npos) << v.detail;
  v = p.verify(inputs, {}, kSeed);
  EXPECT_FALSE(v.passed);
  v = p.verify({inputs[0]}, exact_outputs(p, inputs), kSeed);
  EXPECT_FALSE(v.passed);
}

TEST(GemmVerifyTest, LargeProblemsAreSampled) {
  // 4096*4096*8 multiply-adds is above the full-check limit (2^26).
  const GemmProblem p(4096, 4096, 8, false, false, DType::kFp32);
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  std::vector<HostTensor> outputs = exact_outputs(p, inputs);

  for (std::uint64_t seed : {kSeed, std::uint64_t{7}}) {
    const Verification v = p.verify(inputs, outputs, seed);
    EXPECT_TRUE(v.passed) << v.detail;
    EXPECT_EQ(v.checked, 4096);
    EXPECT_EQ(v.total, 4096 * 4096);
  }
  // The corners are always among the sampled entries.
  const float saved = outputs[0].at(4096 * 4096 - 1);
  outputs[0].set(4096 * 4096 - 1, saved + 1.0f);
  Verification v = p.verify(inputs, outputs, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.detail.find("c[4095,4095]"), std::string::npos) << v.detail;
  outputs[0].set(4096 * 4096 - 1, saved);

  // Poisoned outputs fail in sampled mode too, every sampled entry counted.
  fill_nan(outputs[0]);
  v = p.verify(inputs, outputs, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, 4096);
}

TEST(GemmVerifyTest, ProblemsAtTheFullCheckLimitCheckEveryEntry) {
  // 1024*64*1024 = 2^26 multiply-adds: still checked in full.
  const GemmProblem p(1024, 64, 1024, false, false, DType::kFp32);
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  HostTensor c(p.output_specs()[0]);
  fill_nan(c);
  const Verification v = p.verify(inputs, {c}, kSeed);
  EXPECT_EQ(v.checked, 1024 * 64);
  EXPECT_EQ(v.nonfinite, 1024 * 64);
}

// ---- fp8: A, B e4m3, C bf16 ----------------------------------------------------

TEST(GemmFp8Test, OperandsAreE4m3AndOutputIsBf16) {
  const GemmProblem p(3, 5, 7, false, true, DType::kFp8E4m3);
  ASSERT_EQ(p.input_specs().size(), 2u);
  EXPECT_EQ(p.input_specs()[0].dtype, DType::kFp8E4m3);
  EXPECT_EQ(p.input_specs()[1].dtype, DType::kFp8E4m3);
  EXPECT_EQ(p.input_specs()[1].shape, (std::vector<std::int64_t>{5, 7}));
  ASSERT_EQ(p.output_specs().size(), 1u);
  EXPECT_EQ(p.output_specs()[0].dtype, DType::kBf16);
  EXPECT_EQ(p.dtype(), DType::kFp8E4m3);
  EXPECT_EQ(gemm_output_dtype(DType::kFp8E4m3), DType::kBf16);
  EXPECT_EQ(gemm_output_dtype(DType::kFp16), DType::kFp16);
}

TEST(GemmFp8Test, MinBytesCountsEachOperandAtItsOwnSize) {
  const GemmProblem p(3, 5, 7, false, false, DType::kFp8E4m3);
  EXPECT_DOUBLE_EQ(p.min_bytes(), (3.0 * 7 + 7 * 5) * 1 + 3.0 * 5 * 2);
  const GemmProblem bf16(3, 5, 7, false, false, DType::kBf16);
  EXPECT_DOUBLE_EQ(bf16.min_bytes(), (3.0 * 7 + 7 * 5 + 3 * 5) * 2);
}

TEST(GemmFp8Test, SeededInputsAreE4m3ValuesInRangeAndMostlyNonZero) {
  const GemmProblem p(64, 64, 256, false, true, DType::kFp8E4m3);
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  for (const HostTensor& t : inputs) {
    std::int64_t zeros = 0;
    std::vector<int> seen(256, 0);
    for (std::size_t i = 0; i < t.data.size(); ++i) {
      const float x = t.at(i);
      ASSERT_TRUE(std::isfinite(x)) << t.spec.name << "[" << i << "]";
      ASSERT_LE(std::fabs(x), 1.0f) << t.spec.name << "[" << i << "]";
      zeros += x == 0.0f;
      seen[std::to_integer<unsigned>(t.data[i])] = 1;
    }
    const auto elements = static_cast<std::int64_t>(t.data.size());
    // |x| <= 2^-10 rounds to zero: about 2^-10 of a uniform [-1, 1) fill.
    EXPECT_LT(zeros, elements / 256) << t.spec.name;
    int distinct = 0;
    for (int s : seen) distinct += s;
    EXPECT_GE(distinct, 100) << t.spec.name << ": e4m3 has 112 values in [-1, 1] besides zero";
  }
}

TEST(GemmFp8Test, BadCodesInTheOutputFailEvenAtLargeK) {
  // The reference uses the stored fp8 inputs exactly; one entry off by 2% of its scale fails
  // the bf16-output tolerance at K = 4096.
  const GemmProblem p(4, 4, 4096, false, true, DType::kFp8E4m3);
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  std::vector<HostTensor> outputs = exact_outputs(p, inputs);
  EXPECT_TRUE(p.verify(inputs, outputs, kSeed).passed);
  const GemmEntry e = gemm_reference_entry(p, inputs[0], inputs[1], 1, 2);
  outputs[0].set(1 * 4 + 2, static_cast<float>(e.value + 0.02 * e.abs_bound));
  const Verification v = p.verify(inputs, outputs, kSeed);
  EXPECT_FALSE(v.passed) << v.detail;
  EXPECT_NE(v.detail.find("c[1,2]"), std::string::npos) << v.detail;
}

// ---- Effective input precision (TF32) --------------------------------------------

// x rounded to TF32 (10 mantissa bits): to nearest even, or truncated (toward zero),
// which tensor cores may do instead.
float to_tf32(float x, bool truncate) {
  auto bits = std::bit_cast<std::uint32_t>(x);
  if (!truncate) bits += 0xFFF + ((bits >> 13) & 1);
  return std::bit_cast<float>(bits & ~std::uint32_t{0x1FFF});
}

// C computed exactly (double, rounded once to fp32) from TF32-rounded copies of the inputs.
std::vector<HostTensor> tf32_outputs(const GemmProblem& p, std::vector<HostTensor> inputs, bool truncate) {
  for (HostTensor& t : inputs) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(t.spec.elements()); ++i) t.set(i, to_tf32(t.at(i), truncate));
  }
  return exact_outputs(p, inputs);
}

TEST(GemmVerifyTest, ToleranceWidensByFourInputUnits) {
  const GemmProblem p(2, 2, 64, false, false, DType::kFp32);
  const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
  const Verification v = p.verify_with_input_precision(inputs, exact_outputs(p, inputs), kSeed, 0x1p-11);
  EXPECT_DOUBLE_EQ(v.tolerance, expected_tolerance(DType::kFp32, 64) + 4 * 0x1p-11);
  EXPECT_DOUBLE_EQ(gemm_tolerance(DType::kFp32, 64, 0.0), expected_tolerance(DType::kFp32, 64));
  // Through the Problem interface too (what the runner calls).
  const Problem& base = p;
  EXPECT_DOUBLE_EQ(base.verify_with_input_precision(inputs, exact_outputs(p, inputs), kSeed, 0x1p-11).tolerance,
                   v.tolerance);
}

TEST(GemmVerifyTest, Tf32RoundedInputsPassOnlyUnderTheTf32Tolerance) {
  for (const std::int64_t k : {64, 1024}) {
    for (const bool truncate : {false, true}) {
      SCOPED_TRACE("k=" + std::to_string(k) + (truncate ? ", truncated" : ", rounded to nearest"));
      const GemmProblem p(16, 16, k, false, true, DType::kFp32);
      const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
      const std::vector<HostTensor> outputs = tf32_outputs(p, inputs, truncate);
      const Verification fp32 = p.verify(inputs, outputs, kSeed);
      EXPECT_FALSE(fp32.passed) << "the fp32 tolerance must see TF32 input rounding: " << fp32.detail;
      const Verification tf32 = p.verify_with_input_precision(inputs, outputs, kSeed, 0x1p-11);
      EXPECT_TRUE(tf32.passed) << tf32.detail;
    }
  }
}

}  // namespace
}  // namespace tb
