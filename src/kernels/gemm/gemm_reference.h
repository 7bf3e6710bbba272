// The portable GEMM reference: plain C++, double accumulation, no
// vectorization tricks. The oracle every backend is checked against.
#pragma once

#include <cstdint>

#include "kernels/gemm/gemm_problem.h"
#include "kernels/tensor.h"

namespace tb {

struct GemmEntry {
  double value;      // sum_k op(A)[i,k] * op(B)[k,j], exact products, double sum
  double abs_bound;  // sum_k |op(A)[i,k] * op(B)[k,j]|: the scale of rounding errors
};

// One entry of C, computed from the stored (already dtype-rounded) inputs.
GemmEntry gemm_reference_entry(const GemmProblem& p, const HostTensor& a, const HostTensor& b, std::int64_t i,
                               std::int64_t j);

// The whole of C in double (M*N entries, row-major). For tests and small problems.
std::vector<double> gemm_reference(const GemmProblem& p, const HostTensor& a, const HostTensor& b);

}  // namespace tb
