#include "kernels/gemm/gemm_reference.h"

#include <cmath>

namespace tb {

GemmEntry gemm_reference_entry(const GemmProblem& p, const HostTensor& a, const HostTensor& b, std::int64_t i,
                               std::int64_t j) {
  GemmEntry e{0.0, 0.0};
  for (std::int64_t k = 0; k < p.k(); ++k) {
    const auto ai = static_cast<std::size_t>(p.trans_a() ? k * p.lda() + i : i * p.lda() + k);
    const auto bi = static_cast<std::size_t>(p.trans_b() ? j * p.ldb() + k : k * p.ldb() + j);
    const double product = static_cast<double>(a.at(ai)) * static_cast<double>(b.at(bi));
    e.value += product;
    e.abs_bound += std::fabs(product);
  }
  return e;
}

std::vector<double> gemm_reference(const GemmProblem& p, const HostTensor& a, const HostTensor& b) {
  std::vector<double> c(static_cast<std::size_t>(p.m() * p.n()));
  for (std::int64_t i = 0; i < p.m(); ++i) {
    for (std::int64_t j = 0; j < p.n(); ++j) {
      c[static_cast<std::size_t>(i * p.n() + j)] = gemm_reference_entry(p, a, b, i, j).value;
    }
  }
  return c;
}

}  // namespace tb
