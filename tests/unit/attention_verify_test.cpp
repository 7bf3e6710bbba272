// AttentionProblem::verify: the reference's own outputs rounded to the dtype
// pass; perturbed, NaN, unwritten, wrongly masked and wrongly shaped outputs
// fail; large problems are checked on a reproducible sample.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/attention/attention_problem.h"
#include "kernels/attention/attention_reference.h"
#include "kernels/kernel_registry.h"
#include "support/problem_helpers.h"

namespace tb {

static void PrintTo(DType dtype, std::ostream* os) { *os << dtype_name(dtype); }
static void PrintTo(AttentionPass pass, std::ostream* os) { *os << attention_pass_name(pass); }

namespace {

constexpr std::uint64_t kSeed = 42;

std::shared_ptr<const AttentionProblem> problem(const std::string& text) {
  return parse_as<AttentionProblem>(text);
}

// The reference, rounded once to each output's dtype: what a perfect backend returns.
std::vector<HostTensor> exact_outputs(const AttentionProblem& p, const std::vector<HostTensor>& in) {
  const AttentionReference ref =
      attention_reference(p.shape(), in.at(0), in.at(1), in.at(2), p.has_backward() ? &in.at(3) : nullptr);
  std::vector<HostTensor> out;
  for (const TensorSpec& spec : p.output_specs()) {
    const std::vector<double>& values = spec.name == "o"     ? ref.o
                                        : spec.name == "lse" ? ref.lse
                                        : spec.name == "dq"  ? ref.dq
                                        : spec.name == "dk"  ? ref.dk
                                                             : ref.dv;
    HostTensor t(spec);
    for (std::size_t i = 0; i < values.size(); ++i) t.set(i, static_cast<float>(values[i]));
    out.push_back(std::move(t));
  }
  return out;
}

std::int64_t total_elements(const AttentionProblem& p) {
  std::int64_t n = 0;
  for (const TensorSpec& s : p.output_specs()) n += s.elements();
  return n;
}

std::size_t output_index(const AttentionProblem& p, const std::string& name) {
  const std::vector<TensorSpec> specs = p.output_specs();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return i;
  }
  ADD_FAILURE() << "no output " << name;
  return 0;
}

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

std::string dtype_pass_suffix(DType dtype, AttentionPass pass) {
  return ",dtype=" + std::string(dtype_name(dtype)) + ",pass=" + std::string(attention_pass_name(pass));
}

class AttentionVerifyTest : public ::testing::TestWithParam<std::tuple<DType, AttentionPass>> {
 protected:
  DType dtype() const { return std::get<0>(GetParam()); }
  AttentionPass pass() const { return std::get<1>(GetParam()); }
  // Small (checked in full): GQA, causal with sq > skv, so rows 0 and 1 are fully masked.
  std::string small() const {
    return "attention:b=2,h=4,kvh=2,sq=7,skv=5,d=8,causal=1" + dtype_pass_suffix(dtype(), pass());
  }
};

TEST_P(AttentionVerifyTest, ExactReferenceOutputsPassEveryElement) {
  for (const std::string& text : {small(), "attention:b=1,h=3,sq=6,skv=9,d=5" + dtype_pass_suffix(dtype(), pass())}) {
    const auto p = problem(text);
    ASSERT_NE(p, nullptr);
    const std::vector<HostTensor> in = p->make_inputs(kSeed);
    const Verification v = p->verify(in, exact_outputs(*p, in), kSeed);
    EXPECT_TRUE(v.passed) << text << ": " << v.detail;
    EXPECT_EQ(v.metric, "attention_normwise_rel");
    EXPECT_EQ(v.tolerance, dtype() == DType::kFp32 ? 1e-4 : 2e-2);
    EXPECT_EQ(v.total, total_elements(*p));
    EXPECT_EQ(v.checked, v.total) << "small problems are checked in full";
    EXPECT_EQ(v.nonfinite, 0);
    // fp32: o rounded to fp32 (about 6e-8 relative), lse (about 2) to fp32: 1.2e-7 absolute.
    EXPECT_LE(v.max_error, dtype() == DType::kFp32 ? 5e-7 : 5e-3) << text;
    EXPECT_TRUE(contains(v.detail, "worst tensor ")) << v.detail;
  }
}

TEST_P(AttentionVerifyTest, ALargeErrorInAnyOneElementOfAnyOutputFails) {
  const auto p = problem(small());
  const std::vector<HostTensor> in = p->make_inputs(kSeed);
  const std::vector<HostTensor> good = exact_outputs(*p, in);
  for (const TensorSpec& spec : p->output_specs()) {
    std::vector<HostTensor> out = good;
    HostTensor& t = out[output_index(*p, spec.name)];
    const std::size_t e = static_cast<std::size_t>(t.spec.elements() - 1);  // last row: never fully masked
    t.set(e, t.at(e) + 4.0f);
    const Verification v = p->verify(in, out, kSeed);
    EXPECT_FALSE(v.passed) << spec.name << ": " << v.detail;
    EXPECT_GT(v.max_error, v.tolerance) << spec.name;
    EXPECT_EQ(v.nonfinite, 0);
    EXPECT_TRUE(contains(v.detail, "worst tensor " + spec.name + ":")) << v.detail;
  }
}

TEST_P(AttentionVerifyTest, OneNanFailsAndIsCounted) {
  const auto p = problem(small());
  const std::vector<HostTensor> in = p->make_inputs(kSeed);
  for (const TensorSpec& spec : p->output_specs()) {
    std::vector<HostTensor> out = exact_outputs(*p, in);
    out[output_index(*p, spec.name)].set(3, std::numeric_limits<float>::quiet_NaN());
    const Verification v = p->verify(in, out, kSeed);
    EXPECT_FALSE(v.passed) << spec.name;
    EXPECT_EQ(v.nonfinite, 1) << spec.name;
    EXPECT_TRUE(std::isinf(v.max_error)) << spec.name;
    EXPECT_TRUE(contains(v.detail, "1 checked elements are NaN or infinite")) << v.detail;
  }
}

TEST_P(AttentionVerifyTest, UnwrittenOutputsFail) {
  const auto p = problem(small());
  const std::vector<HostTensor> in = p->make_inputs(kSeed);
  std::vector<HostTensor> out;
  for (const TensorSpec& spec : p->output_specs()) {
    out.emplace_back(spec);
    fill_nan(out.back());
  }
  const Verification v = p->verify(in, out, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, v.checked);
}

TEST_P(AttentionVerifyTest, WrongCountShapeOrDtypeFails) {
  const auto p = problem(small());
  const std::vector<HostTensor> in = p->make_inputs(kSeed);
  const std::vector<HostTensor> good = exact_outputs(*p, in);

  std::vector<HostTensor> fewer(good.begin(), good.end() - 1);
  std::vector<HostTensor> more = good;
  more.push_back(good.front());
  std::vector<HostTensor> reshaped = good;
  std::vector<std::int64_t>& shape = reshaped.front().spec.shape;
  std::swap(shape[1], shape[2]);  // same element count, wrong shape
  std::vector<HostTensor> redtyped = good;
  HostTensor& first = redtyped.front();
  first = HostTensor(TensorSpec{first.spec.name,
                                first.spec.dtype == DType::kFp32 ? DType::kBf16 : DType::kFp32, first.spec.shape});

  for (const auto* out : {&fewer, &more, &reshaped, &redtyped}) {
    const Verification v = p->verify(in, *out, kSeed);
    EXPECT_FALSE(v.passed);
    EXPECT_TRUE(contains(v.detail, "wrong count or shape")) << v.detail;
    EXPECT_EQ(v.checked, 0);
  }
  const std::vector<HostTensor> no_inputs;
  EXPECT_FALSE(p->verify(no_inputs, good, kSeed).passed);
}

INSTANTIATE_TEST_SUITE_P(AllDtypesAndPasses, AttentionVerifyTest,
                         ::testing::Combine(::testing::Values(DType::kFp32, DType::kBf16, DType::kFp16),
                                            ::testing::Values(AttentionPass::kFwd, AttentionPass::kBwd,
                                                              AttentionPass::kFwdBwd)));

// The norm-wise threshold: an error of 0.5x the tolerance (relative to the
// tensor's norm) in one element passes, 2x fails. fp32, so the rounding of
// the exact outputs (about 1e-8) is negligible.
TEST(AttentionVerify, NormwiseThresholdPerTensor) {
  const auto p = problem("attention:b=1,h=2,sq=6,skv=6,d=4,causal=1,pass=fwdbwd");
  const std::vector<HostTensor> in = p->make_inputs(kSeed);
  const std::vector<HostTensor> good = exact_outputs(*p, in);
  const double tol = AttentionProblem::tolerance(DType::kFp32);
  for (const std::string name : {"o", "dq", "dk", "dv"}) {
    const HostTensor& ref = good[output_index(*p, name)];
    double norm2 = 0.0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(ref.spec.elements()); ++i) norm2 += ref.at(i) * ref.at(i);
    for (const double factor : {0.5, 2.0}) {
      std::vector<HostTensor> out = good;
      HostTensor& t = out[output_index(*p, name)];
      t.set(5, static_cast<float>(t.at(5) + factor * tol * std::sqrt(norm2)));
      const Verification v = p->verify(in, out, kSeed);
      EXPECT_EQ(v.passed, factor < 1.0) << name << " x" << factor << ": " << v.detail;
      EXPECT_NEAR(v.max_error, factor * tol, 0.05 * factor * tol) << name;
    }
  }
  // lse: absolute error.
  for (const double factor : {0.5, 2.0}) {
    std::vector<HostTensor> out = good;
    HostTensor& lse = out[output_index(*p, "lse")];
    lse.set(2, static_cast<float>(lse.at(2) + factor * tol));
    const Verification v = p->verify(in, out, kSeed);
    EXPECT_EQ(v.passed, factor < 1.0) << "lse x" << factor << ": " << v.detail;
    if (factor > 1.0) {
      EXPECT_TRUE(contains(v.detail, "worst tensor lse: max absolute error")) << v.detail;
      EXPECT_TRUE(contains(v.detail, "lse[0,0,2]=")) << v.detail;
    }
  }
}

// A fully masked row must report lse = -inf and o = 0.
TEST(AttentionVerify, FullyMaskedRowsMustBeMinusInfinityAndZero) {
  const auto p = problem("attention:b=1,h=1,sq=4,skv=2,d=3,causal=1");  // rows 0 and 1 fully masked
  const std::vector<HostTensor> in = p->make_inputs(kSeed);
  const std::vector<HostTensor> good = exact_outputs(*p, in);
  ASSERT_TRUE(std::isinf(good[1].at(0)) && good[1].at(0) < 0);
  EXPECT_TRUE(p->verify(in, good, kSeed).passed);

  std::vector<HostTensor> out = good;
  out[1].set(0, 0.0f);  // a finite lse where the reference is -inf
  Verification v = p->verify(in, out, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, 0);
  EXPECT_TRUE(std::isinf(v.max_error));
  EXPECT_TRUE(contains(v.detail, "lse[0,0,0]=0, reference -inf")) << v.detail;

  out = good;
  out[1].set(1, std::numeric_limits<float>::infinity());  // +inf is not -inf
  v = p->verify(in, out, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, 1);

  out = good;
  out[0].set(2, 0.5f);  // a masked row's output must be 0
  v = p->verify(in, out, kSeed);
  EXPECT_FALSE(v.passed) << v.detail;
  EXPECT_TRUE(contains(v.detail, "o[0,0,0,2]=0.5, reference 0")) << v.detail;
}

// Above 4*b*h*sq*skv*d = 2^26 only a seeded sample is checked: groups (0, 0)
// and one more, up to 32 query rows per head and 32 key rows per group.
class AttentionSampledVerifyTest : public ::testing::TestWithParam<AttentionPass> {};

TEST_P(AttentionSampledVerifyTest, ChecksASampleThatIncludesTheEdges) {
  // 4*2*4*288*256*32 = 75,497,472 > 2^26. GQA group 2, 4 groups, causal with sq > skv.
  const auto p = problem("attention:b=2,h=4,kvh=2,sq=288,skv=256,d=32,causal=1,dtype=bf16,pass=" +
                         std::string(attention_pass_name(GetParam())));
  ASSERT_NE(p, nullptr);
  const std::vector<HostTensor> in = p->make_inputs(kSeed);
  const std::vector<HostTensor> good = exact_outputs(*p, in);
  const Verification v = p->verify(in, good, kSeed);
  EXPECT_TRUE(v.passed) << v.detail;
  EXPECT_EQ(v.total, total_elements(*p));
  // 2 groups x 2 query heads x 32 rows x (d for o, 1 for lse, d for dq); 2 groups x 32 keys x 2d for dk, dv.
  const std::int64_t d = 32, rows = 2 * 2 * 32;
  std::int64_t expected = 0;
  if (p->has_forward_outputs()) expected += rows * (d + 1);
  if (p->has_backward()) expected += rows * d + 2 * 32 * 2 * d;
  EXPECT_EQ(v.checked, expected);

  const Verification again = p->verify(in, good, kSeed);
  EXPECT_EQ(again.max_error, v.max_error) << "same seed, same sample";
  EXPECT_EQ(again.checked, v.checked);

  // The first and last rows of group (0, 0) are always checked.
  const std::string first_name = p->has_forward_outputs() ? "o" : "dq";
  for (const std::int64_t e : {std::int64_t{288 * 32 - 1} /* head 0, last row (the first rows are masked) */,
                               std::int64_t{288 * 32 + 287 * 32} /* head 1, last row */}) {
    std::vector<HostTensor> out = good;
    HostTensor& t = out[output_index(*p, first_name)];
    const auto i = static_cast<std::size_t>(e);
    t.set(i, t.at(i) + 8.0f);
    EXPECT_FALSE(p->verify(in, out, kSeed).passed) << first_name << " element " << e;
  }
  if (p->has_backward()) {
    for (const std::string name : {"dk", "dv"}) {
      for (const std::size_t e : {std::size_t{0}, std::size_t{255 * 32 + 31}}) {  // key rows 0 and skv-1 of group 0
        std::vector<HostTensor> out = good;
        HostTensor& t = out[output_index(*p, name)];
        t.set(e, t.at(e) + 8.0f);
        EXPECT_FALSE(p->verify(in, out, kSeed).passed) << name << " element " << e;
      }
    }
  }
  if (p->has_forward_outputs()) {
    // Row 0 is fully masked (sq > skv) and always checked: its lse must stay -inf.
    std::vector<HostTensor> out = good;
    out[output_index(*p, "lse")].set(0, 0.0f);
    EXPECT_FALSE(p->verify(in, out, kSeed).passed);
  }
}

INSTANTIATE_TEST_SUITE_P(AllPasses, AttentionSampledVerifyTest,
                         ::testing::Values(AttentionPass::kFwd, AttentionPass::kBwd, AttentionPass::kFwdBwd));

}  // namespace
}  // namespace tb
