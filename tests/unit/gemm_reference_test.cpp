// The GEMM reference against hand-computed products, the work and byte
// counts, the operand shapes, and the seeded input fill.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/gemm/gemm_problem.h"
#include "kernels/gemm/gemm_reference.h"
#include "kernels/tensor.h"

namespace tb {
namespace {

HostTensor tensor(DType dtype, std::vector<std::int64_t> shape, const std::vector<float>& values) {
  HostTensor t(TensorSpec{"t", dtype, std::move(shape)});
  EXPECT_EQ(static_cast<std::size_t>(t.spec.elements()), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) t.set(i, values[i]);
  return t;
}

// Row-major rows x cols matrix stored transposed (cols x rows).
std::vector<float> transposed(const std::vector<float>& v, int rows, int cols) {
  std::vector<float> t(v.size());
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) t[static_cast<std::size_t>(j * rows + i)] = v[static_cast<std::size_t>(i * cols + j)];
  return t;
}

TEST(GemmReferenceTest, TwoByThreeTimesThreeByTwo) {
  const GemmProblem p(2, 2, 3, false, false, DType::kFp32);
  const HostTensor a = tensor(DType::kFp32, {2, 3}, {1, 2, 3, 4, 5, 6});
  const HostTensor b = tensor(DType::kFp32, {3, 2}, {7, 8, 9, 10, 11, 12});
  EXPECT_EQ(gemm_reference(p, a, b), (std::vector<double>{58, 64, 139, 154}));
}

TEST(GemmReferenceTest, AbsBoundSumsAbsoluteProducts) {
  const GemmProblem p(1, 1, 3, false, false, DType::kFp32);
  const HostTensor a = tensor(DType::kFp32, {1, 3}, {1, -2, 3});
  const HostTensor b = tensor(DType::kFp32, {3, 1}, {4, 5, -6});
  const GemmEntry e = gemm_reference_entry(p, a, b, 0, 0);
  EXPECT_EQ(e.value, 4.0 - 10.0 - 18.0);
  EXPECT_EQ(e.abs_bound, 4.0 + 10.0 + 18.0);
}

// op(A) is 2x4, op(B) is 4x3: C = [[6,1,1],[-3,3,9]], computed by hand.
const std::vector<float> kOpA = {1, 2, 0, -1,  //
                                 3, -2, 1, 2};
const std::vector<float> kOpB = {1, 0, 2,   //
                                 2, 1, 0,   //
                                 0, 3, 1,   //
                                 -1, 1, 1};
const std::vector<double> kC = {6, 1, 1,  //
                                -3, 3, 9};

class GemmTransposeTest : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(GemmTransposeTest, NonSquareMatchesHandComputedProduct) {
  const auto [ta, tb] = GetParam();
  const GemmProblem p(2, 3, 4, ta, tb, DType::kFp32);
  // Stored A is [M,K] or [K,M]; stored B is [K,N] or [N,K].
  const HostTensor a = ta ? tensor(DType::kFp32, {4, 2}, transposed(kOpA, 2, 4)) : tensor(DType::kFp32, {2, 4}, kOpA);
  const HostTensor b = tb ? tensor(DType::kFp32, {3, 4}, transposed(kOpB, 4, 3)) : tensor(DType::kFp32, {4, 3}, kOpB);
  EXPECT_EQ(p.lda(), ta ? 2 : 4);
  EXPECT_EQ(p.ldb(), tb ? 4 : 3);
  EXPECT_EQ(p.ldc(), 3);
  EXPECT_EQ(gemm_reference(p, a, b), kC);
  // |3*2| + |-2*0| + |1*1| + |2*1| = 9
  EXPECT_EQ(gemm_reference_entry(p, a, b, 1, 2).abs_bound, 9.0);
  // |1*1| + |2*2| + |0*0| + |-1*-1| = 6, no cancellation
  EXPECT_EQ(gemm_reference_entry(p, a, b, 0, 0).abs_bound, 6.0);
}

INSTANTIATE_TEST_SUITE_P(AllTransposes, GemmTransposeTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "ta1" : "ta0") +
                                  (std::get<1>(info.param) ? "_tb1" : "_tb0");
                         });

TEST(GemmReferenceTest, KEqualsOneIsAnOuterProduct) {
  const GemmProblem p(3, 2, 1, false, false, DType::kFp32);
  const HostTensor a = tensor(DType::kFp32, {3, 1}, {1, 2, 3});
  const HostTensor b = tensor(DType::kFp32, {1, 2}, {4, 5});
  EXPECT_EQ(gemm_reference(p, a, b), (std::vector<double>{4, 5, 8, 10, 12, 15}));
}

TEST(GemmReferenceTest, UsesTheStoredLowPrecisionInputs) {
  // 1 + 2^-9 is a quarter of a bf16 ulp above 1: stored as 1.0, so the product is exactly 1.
  const GemmProblem p(1, 1, 1, false, false, DType::kBf16);
  const HostTensor a = tensor(DType::kBf16, {1, 1}, {1.0f + 0x1p-9f});
  const HostTensor b = tensor(DType::kBf16, {1, 1}, {1.0f});
  EXPECT_EQ(gemm_reference(p, a, b), std::vector<double>{1.0});
}

TEST(GemmReferenceTest, AccumulatesInDouble) {
  // 2^24 + 1 + 1 - 2^24: fp32 accumulation would lose both ones.
  const GemmProblem p(1, 1, 4, false, false, DType::kFp32);
  const HostTensor a = tensor(DType::kFp32, {1, 4}, {0x1p24f, 1, 1, -0x1p24f});
  const HostTensor b = tensor(DType::kFp32, {4, 1}, {1, 1, 1, 1});
  EXPECT_EQ(gemm_reference(p, a, b), std::vector<double>{2.0});
}

// ---- Work, bytes and shapes ------------------------------------------------------

TEST(GemmProblemTest, FlopIsTwoMnk) {
  EXPECT_EQ(GemmProblem(2, 3, 4, false, false, DType::kFp32).flop(), 48.0);
  EXPECT_EQ(GemmProblem(1, 1, 1, true, true, DType::kBf16).flop(), 2.0);
  EXPECT_EQ(GemmProblem(4096, 4096, 4096, false, false, DType::kFp16).flop(), 137438953472.0);
  // No 32-bit overflow on large dimensions: 2 * 2^31 * 2^31 * 2 = 2^64.
  EXPECT_EQ(GemmProblem(2147483648, 2147483648, 2, false, false, DType::kFp32).flop(), 0x1p64);
}

TEST(GemmProblemTest, MinBytesPerDtype) {
  // (M*K + K*N + M*N) elements = 8 + 12 + 6 = 26.
  EXPECT_EQ(GemmProblem(2, 3, 4, false, false, DType::kFp32).min_bytes(), 104.0);
  EXPECT_EQ(GemmProblem(2, 3, 4, false, false, DType::kBf16).min_bytes(), 52.0);
  EXPECT_EQ(GemmProblem(2, 3, 4, true, true, DType::kFp16).min_bytes(), 52.0);
  // 3 * 4096^2 * 2 bytes.
  EXPECT_EQ(GemmProblem(4096, 4096, 4096, false, false, DType::kBf16).min_bytes(), 100663296.0);
}

TEST(GemmProblemTest, OperandShapesFollowTransposeFlags) {
  using Shape = std::vector<std::int64_t>;
  const GemmProblem nn(2, 3, 4, false, false, DType::kBf16);
  ASSERT_EQ(nn.input_specs().size(), 2u);
  EXPECT_EQ(nn.input_specs()[0].name, "a");
  EXPECT_EQ(nn.input_specs()[0].shape, (Shape{2, 4}));
  EXPECT_EQ(nn.input_specs()[1].name, "b");
  EXPECT_EQ(nn.input_specs()[1].shape, (Shape{4, 3}));
  EXPECT_EQ(nn.input_specs()[1].dtype, DType::kBf16);
  ASSERT_EQ(nn.output_specs().size(), 1u);
  EXPECT_EQ(nn.output_specs()[0].name, "c");
  EXPECT_EQ(nn.output_specs()[0].shape, (Shape{2, 3}));
  EXPECT_EQ(nn.output_specs()[0].bytes(), 12);

  const GemmProblem tt(2, 3, 4, true, true, DType::kFp32);
  EXPECT_EQ(tt.input_specs()[0].shape, (Shape{4, 2}));
  EXPECT_EQ(tt.input_specs()[1].shape, (Shape{3, 4}));
  EXPECT_EQ(tt.output_specs()[0].shape, (Shape{2, 3}));
  EXPECT_EQ(tt.host_bytes(), 104);
}

// ---- Seeded inputs -------------------------------------------------------------------

TEST(TensorFillTest, MakeInputsIsDeterministicPerSeedAndInRange) {
  const GemmProblem p(17, 5, 9, false, true, DType::kFp32);
  const std::vector<HostTensor> x = p.make_inputs(42), y = p.make_inputs(42), z = p.make_inputs(43);
  ASSERT_EQ(x.size(), 2u);
  EXPECT_EQ(x[0].spec.shape, p.input_specs()[0].shape);
  EXPECT_EQ(x[1].spec.shape, p.input_specs()[1].shape);
  EXPECT_EQ(x[0].data, y[0].data);
  EXPECT_EQ(x[1].data, y[1].data);
  EXPECT_NE(x[0].data, z[0].data);
  EXPECT_NE(x[0].data, x[1].data) << "A and B must come from different streams";
  for (const HostTensor& t : x) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(t.spec.elements()); ++i) {
      EXPECT_GE(t.at(i), -1.0f);
      EXPECT_LT(t.at(i), 1.0f);
      EXPECT_NE(t.at(i), 0.0f);
    }
  }
}

TEST(TensorFillTest, LowPrecisionFillIsTheRoundedFp32Fill) {
  HostTensor f32(TensorSpec{"a", DType::kFp32, {64}});
  HostTensor b16(TensorSpec{"a", DType::kBf16, {64}});
  fill_uniform(f32, 7, 0);
  fill_uniform(b16, 7, 0);
  EXPECT_EQ(b16.data.size(), 128u);
  for (std::size_t i = 0; i < 64; ++i) EXPECT_EQ(b16.at(i), bf16_to_float(float_to_bf16(f32.at(i)))) << i;
}

TEST(TensorFillTest, FillNanPoisonsEveryElement) {
  HostTensor t(TensorSpec{"c", DType::kFp16, {3, 5}});
  fill_nan(t);
  for (std::size_t i = 0; i < 15; ++i) EXPECT_TRUE(std::isnan(t.at(i))) << i;
}

}  // namespace
}  // namespace tb
