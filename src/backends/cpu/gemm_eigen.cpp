// fp32 GEMM through Eigen's general matrix product (parallel with OpenMP).
#include <Eigen/Core>

#include "backends/cpu/cpu_gemm.h"

namespace tb {
namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class EigenGemm final : public CpuGemmWorkload {
 public:
  using CpuGemmWorkload::CpuGemmWorkload;

  Status run() override {
    const GemmProblem& p = problem_;
    // Views of the operands as stored; op() is applied with transpose().
    const auto rows = [](const HostTensor& t) { return static_cast<Eigen::Index>(t.spec.shape[0]); };
    const auto cols = [](const HostTensor& t) { return static_cast<Eigen::Index>(t.spec.shape[1]); };
    Eigen::Map<const RowMajor> a(reinterpret_cast<const float*>(a_.data.data()), rows(a_), cols(a_));
    Eigen::Map<const RowMajor> b(reinterpret_cast<const float*>(b_.data.data()), rows(b_), cols(b_));
    Eigen::Map<RowMajor> c(reinterpret_cast<float*>(c_.data.data()), p.m(), p.n());
    if (!p.trans_a() && !p.trans_b()) c.noalias() = a * b;
    if (!p.trans_a() && p.trans_b()) c.noalias() = a * b.transpose();
    if (p.trans_a() && !p.trans_b()) c.noalias() = a.transpose() * b;
    if (p.trans_a() && p.trans_b()) c.noalias() = a.transpose() * b.transpose();
    return {};
  }
  std::string implementation() const override {
    return "Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
           std::to_string(EIGEN_MINOR_VERSION) + " general matrix product";
  }
};

}  // namespace

std::unique_ptr<Workload> make_eigen_gemm(const GemmProblem& p, const std::vector<HostTensor>& inputs) {
  return std::make_unique<EigenGemm>(p, inputs);
}

}  // namespace tb
