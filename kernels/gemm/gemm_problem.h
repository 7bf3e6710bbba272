// GEMM: C[M,N] = op(A) * op(B), row-major, alpha = 1, beta = 0.
//   A is stored [M,K] (ta=0) or [K,M] (ta=1); B is [K,N] (tb=0) or [N,K] (tb=1).
//   A, B and C share the problem dtype; products accumulate in at least fp32.
// Problem string: gemm:m=<M>,n=<N>,k=<K>[,ta=1][,tb=1],dtype=fp32|bf16|fp16
// Work 2*M*N*K FLOP; fewest bytes (M*K + K*N + M*N) * sizeof(dtype).
#pragma once

#include <cstdint>

#include "common/error.h"
#include "kernels/problem.h"
#include "kernels/problem_string.h"

namespace tb {

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

 private:
  std::int64_t m_, n_, k_;
  bool trans_a_, trans_b_;
  DType dtype_;
};

}  // namespace tb
