#include "kernels/gemm/gemm_problem.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "kernels/gemm/gemm_reference.h"

namespace tb {
namespace {

// Check every entry below this many multiply-adds; sample above it.
constexpr double kFullCheckMacs = 1 << 26;
constexpr std::int64_t kSampledEntries = 4096;

}  // namespace

DType gemm_output_dtype(DType dtype) { return dtype == DType::kFp8E4m3 ? DType::kBf16 : dtype; }

double gemm_accumulation_roundoff(DType dtype) {
  return dtype == DType::kFp8E4m3 ? std::ldexp(1.0, -22) : unit_roundoff(DType::kFp32);
}

double gemm_tolerance(DType dtype, std::int64_t k, double input_unit_roundoff) {
  return 2.0 * unit_roundoff(gemm_output_dtype(dtype)) + 4.0 * input_unit_roundoff +
         8.0 * std::sqrt(static_cast<double>(k)) * gemm_accumulation_roundoff(dtype);
}

GemmProblem::GemmProblem(std::int64_t m, std::int64_t n, std::int64_t k, bool trans_a, bool trans_b, DType dtype)
    : m_(m), n_(n), k_(k), trans_a_(trans_a), trans_b_(trans_b), dtype_(dtype) {}

Expected<ProblemPtr> GemmProblem::parse(const ProblemSpec& spec) {
  ParamReader r(spec);
  TB_ASSIGN_OR_RETURN(const std::int64_t m, r.size("m", 1, kMaxDim));
  TB_ASSIGN_OR_RETURN(const std::int64_t n, r.size("n", 1, kMaxDim));
  TB_ASSIGN_OR_RETURN(const std::int64_t k, r.size("k", 1, kMaxDim));
  TB_ASSIGN_OR_RETURN(const bool ta, r.flag("ta", false));
  TB_ASSIGN_OR_RETURN(const bool tb, r.flag("tb", false));
  TB_ASSIGN_OR_RETURN(const DType dtype, r.dtype("dtype", DType::kFp32));
  TB_RETURN_IF_ERROR(r.finish());
  return ProblemPtr(std::make_shared<GemmProblem>(m, n, k, ta, tb, dtype));
}

std::string GemmProblem::to_string() const {
  std::string s = "gemm:m=" + std::to_string(m_) + ",n=" + std::to_string(n_) + ",k=" + std::to_string(k_);
  if (trans_a_) s += ",ta=1";
  if (trans_b_) s += ",tb=1";
  return s + ",dtype=" + std::string(dtype_name(dtype_));
}

double GemmProblem::flop() const { return 2.0 * static_cast<double>(m_) * static_cast<double>(n_) * static_cast<double>(k_); }

double GemmProblem::min_bytes() const {
  const double inputs =
      static_cast<double>(m_) * static_cast<double>(k_) + static_cast<double>(k_) * static_cast<double>(n_);
  const double outputs = static_cast<double>(m_) * static_cast<double>(n_);
  return inputs * static_cast<double>(dtype_size(dtype_)) +
         outputs * static_cast<double>(dtype_size(gemm_output_dtype(dtype_)));
}

std::vector<TensorSpec> GemmProblem::input_specs() const {
  return {{"a", dtype_, trans_a_ ? std::vector<std::int64_t>{k_, m_} : std::vector<std::int64_t>{m_, k_}},
          {"b", dtype_, trans_b_ ? std::vector<std::int64_t>{n_, k_} : std::vector<std::int64_t>{k_, n_}}};
}

std::vector<TensorSpec> GemmProblem::output_specs() const { return {{"c", gemm_output_dtype(dtype_), {m_, n_}}}; }

Verification GemmProblem::verify(const std::vector<HostTensor>& inputs, const std::vector<HostTensor>& outputs,
                                 std::uint64_t seed) const {
  return verify_with_input_precision(inputs, outputs, seed, 0.0);
}

Verification GemmProblem::verify_with_input_precision(const std::vector<HostTensor>& inputs,
                                                      const std::vector<HostTensor>& outputs, std::uint64_t seed,
                                                      double input_unit_roundoff) const {
  Verification v;
  v.metric = "gemm_normalized_abs";
  // Errors are normalized by sum_k |a_ik * b_kj|: output rounding, input
  // rounding inside the kernel and accumulation, each with a margin.
  v.tolerance = gemm_tolerance(dtype_, k_, input_unit_roundoff);
  v.total = m_ * n_;
  if (inputs.size() != 2 || outputs.size() != 1 || outputs[0].spec.elements() != v.total) {
    v.detail = "backend returned outputs of the wrong count or shape";
    return v;
  }
  const HostTensor& a = inputs[0];
  const HostTensor& b = inputs[1];
  const HostTensor& c = outputs[0];

  std::int64_t worst = -1;
  double worst_ref = 0.0;
  const auto check = [&](std::int64_t i, std::int64_t j) {
    const GemmEntry ref = gemm_reference_entry(*this, a, b, i, j);
    const double got = c.at(static_cast<std::size_t>(i * n_ + j));
    ++v.checked;
    double err = INFINITY;
    if (std::isfinite(got)) {
      err = std::fabs(got - ref.value) / std::max(ref.abs_bound, 1e-30);
    } else {
      ++v.nonfinite;
    }
    if (worst < 0 || err > v.max_error) {
      v.max_error = err;
      worst = i * n_ + j;
      worst_ref = ref.value;
    }
  };
  if (flop() / 2.0 <= kFullCheckMacs) {
    for (std::int64_t i = 0; i < m_; ++i)
      for (std::int64_t j = 0; j < n_; ++j) check(i, j);
  } else {
    // The four corners catch edge handling; the seeded sample covers the interior.
    check(0, 0);
    check(0, n_ - 1);
    check(m_ - 1, 0);
    check(m_ - 1, n_ - 1);
    std::mt19937_64 rng(seed ^ 0xC0FFEEull);
    std::uniform_int_distribution<std::int64_t> row(0, m_ - 1), col(0, n_ - 1);
    while (v.checked < std::min(kSampledEntries, v.total)) check(row(rng), col(rng));
  }
  v.passed = v.nonfinite == 0 && v.max_error <= v.tolerance;
  char buf[160];
  std::snprintf(buf, sizeof buf, "worst c[%lld,%lld]=%.9g, reference %.9g", static_cast<long long>(worst / n_),
                static_cast<long long>(worst % n_), static_cast<double>(c.at(static_cast<std::size_t>(worst))),
                worst_ref);
  v.detail = buf;
  if (v.nonfinite > 0) v.detail += "; " + std::to_string(v.nonfinite) + " checked entries are NaN or infinite";
  return v;
}

}  // namespace tb
