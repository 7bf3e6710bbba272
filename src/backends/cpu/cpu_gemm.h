// GEMM workloads on the host CPU, one per library. Each copies the inputs into
// buffers it owns (the "upload") and writes C into its own output buffer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "kernels/gemm/gemm_problem.h"

namespace tb {

// Shared by the CPU GEMM workloads: the operand buffers and everything but run().
class CpuGemmWorkload : public Workload {
 public:
  CpuGemmWorkload(const GemmProblem& problem, const std::vector<HostTensor>& inputs);
  Status synchronize() override { return {}; }  // run() is synchronous
  Status poison_outputs() override;
  Expected<std::vector<HostTensor>> read_outputs() override;
  std::unique_ptr<DeviceTimer> make_timer() override;

 protected:
  const GemmProblem problem_;
  HostTensor a_, b_, c_;
};

// fp32 only (Debian's OpenBLAS is built without bf16 GEMM).
std::unique_ptr<Workload> make_openblas_gemm(const GemmProblem& p, const std::vector<HostTensor>& inputs);
// bf16 or fp16 where oneDNN has no native matmul on this CPU: inputs widened to
// fp32, cblas_sgemm, C rounded back; `why` (oneDNN's reason) goes into
// implementation(). Allocates widened_gemm_extra_bytes(p) beyond the operands.
std::unique_ptr<Workload> make_widened_gemm(const GemmProblem& p, const std::vector<HostTensor>& inputs,
                                            const std::string& why);
std::int64_t widened_gemm_extra_bytes(const GemmProblem& p);  // (B)
// fp32 only.
std::unique_ptr<Workload> make_eigen_gemm(const GemmProblem& p, const std::vector<HostTensor>& inputs);

// Whether oneDNN has an optimized (non-reference) matmul for this problem on this CPU.
Support onednn_gemm_support(const GemmProblem& p);
Expected<std::unique_ptr<Workload>> make_onednn_gemm(const GemmProblem& p, const std::vector<HostTensor>& inputs);

}  // namespace tb
