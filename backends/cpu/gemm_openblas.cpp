// fp32 GEMM through OpenBLAS's cblas_sgemm.
#include <cblas.h>

#include "backends/cpu/cpu_gemm.h"

namespace tb {
namespace {

class OpenBlasGemm final : public CpuGemmWorkload {
 public:
  using CpuGemmWorkload::CpuGemmWorkload;

  Status run() override {
    const GemmProblem& p = problem_;
    cblas_sgemm(CblasRowMajor, p.trans_a() ? CblasTrans : CblasNoTrans, p.trans_b() ? CblasTrans : CblasNoTrans,
                static_cast<blasint>(p.m()), static_cast<blasint>(p.n()), static_cast<blasint>(p.k()), 1.0f,
                reinterpret_cast<const float*>(a_.data.data()), static_cast<blasint>(p.lda()),
                reinterpret_cast<const float*>(b_.data.data()), static_cast<blasint>(p.ldb()), 0.0f,
                reinterpret_cast<float*>(c_.data.data()), static_cast<blasint>(p.ldc()));
    return {};
  }
  std::string implementation() const override { return "OpenBLAS cblas_sgemm"; }
};

}  // namespace

std::unique_ptr<Workload> make_openblas_gemm(const GemmProblem& p, const std::vector<HostTensor>& inputs) {
  return std::make_unique<OpenBlasGemm>(p, inputs);
}

}  // namespace tb
