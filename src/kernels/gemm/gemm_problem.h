// GEMM: C[M,N] = op(A) * op(B), row-major, alpha = 1, beta = 0.
//   A is stored [M,K] (ta=0) or [K,M] (ta=1); B is [K,N] (tb=0) or [N,K] (tb=1).
//   fp32, bf16, fp16: A, B and C share the problem dtype; products accumulate
//   in at least fp32.
//   fp8 GEMM: A, B e4m3, C bf16, fp32 accumulation, scales 1 (no per-tensor
//   scaling factors: the seeded inputs lie in [-1, 1], well inside e4m3's range).
// Problem string: gemm:m=<M>,n=<N>,k=<K>[,ta=1][,tb=1],dtype=fp32|bf16|fp16|fp8
// Work 2*M*N*K FLOP; fewest bytes (M*K + K*N) * sizeof(A's dtype) + M*N * sizeof(C's dtype).
#pragma once

#include <cstdint>

#include "common/error.h"
#include "kernels/problem.h"
#include "kernels/problem_string.h"

namespace tb {

// C's dtype for a GEMM of problem dtype `dtype`: bf16 for fp8, else `dtype`.
DType gemm_output_dtype(DType dtype);

// Unit roundoff of the accumulation a GEMM of `dtype` is checked against:
// fp32's 2^-24, except fp8: 2^-22, a safety factor of 4 because Hopper's fp8
// tensor cores reportedly keep only about 22 mantissa bits while accumulating
// (docs/verification.md#tolerance).
double gemm_accumulation_roundoff(DType dtype);

// The verification tolerance (docs/verification.md#tolerance), in units of
// sum_k |a_ik * b_kj| (dimensionless):
//   2 u(C's dtype) + 4 input_unit_roundoff + 8 sqrt(K) gemm_accumulation_roundoff(dtype)
// `input_unit_roundoff` is the unit roundoff of a precision the kernel rounds
// A and B to before multiplying (TF32: 2^-11; Workload::input_unit_roundoff());
// 0 when it multiplies the stored inputs exactly.
double gemm_tolerance(DType dtype, std::int64_t k, double input_unit_roundoff);

class GemmProblem final : public Problem {
 public:
  // Largest M, N or K: BLAS interfaces take 32-bit signed sizes.
  static constexpr std::int64_t kMaxDim = 2147483647;

  GemmProblem(std::int64_t m, std::int64_t n, std::int64_t k, bool trans_a, bool trans_b, DType dtype);
  static Expected<ProblemPtr> parse(const ProblemSpec& spec);

  std::int64_t m() const { return m_; }
  std::int64_t n() const { return n_; }
  std::int64_t k() const { return k_; }
  bool trans_a() const { return trans_a_; }
  bool trans_b() const { return trans_b_; }
  // Leading dimensions of the row-major operands as stored.
  std::int64_t lda() const { return trans_a_ ? m_ : k_; }
  std::int64_t ldb() const { return trans_b_ ? k_ : n_; }
  std::int64_t ldc() const { return n_; }

  std::string_view kernel() const override { return "gemm"; }
  std::string to_string() const override;
  DType dtype() const override { return dtype_; }
  double flop() const override;
  double min_bytes() const override;
  std::vector<TensorSpec> input_specs() const override;
  std::vector<TensorSpec> output_specs() const override;
  Verification verify(const std::vector<HostTensor>& inputs, const std::vector<HostTensor>& outputs,
                      std::uint64_t seed) const override;
  // With the tolerance widened for inputs rounded to `input_unit_roundoff` (gemm_tolerance).
  Verification verify_with_input_precision(const std::vector<HostTensor>& inputs,
                                           const std::vector<HostTensor>& outputs, std::uint64_t seed,
                                           double input_unit_roundoff) const override;

 private:
  std::int64_t m_, n_, k_;
  bool trans_a_, trans_b_;
  DType dtype_;
};

}  // namespace tb
