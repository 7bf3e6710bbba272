#include "backends/cuda/cuda_options.h"

namespace tb {

std::span<const BackendOptionSpec> cuda_options() {
  using Kind = BackendOptionSpec::Kind;
  static const BackendOptionSpec table[] = {
      {"--cuda-tf32", Kind::kSwitch, "", "cuda: fp32 GEMMs on tensor cores in TF32 (CUBLAS_COMPUTE_32F_FAST_TF32)", {}, 0, 0},
      {"--cuda-cold-cache", Kind::kSwitch, "", "cuda: cycle GEMMs through copies of A, B, C totalling >= 2x the L2 cache",
       {}, 0, 0},
      // The default is kDefaultGemmCandidates (cuda_gemm_workload.h).
      {"--cuda-gemm-candidates", Kind::kInteger, "8",
       "cuda: cuBLASLt heuristic algorithms timed per GEMM before measuring, the fastest kept (1 = the heuristic's "
       "first, untimed)",
       {}, 1, 16},
      {"--cuda-attention", Kind::kChoice, "auto",
       "cuda: attention by cuDNN's fused flash attention (forward only) or our kernels: auto = cuDNN for pass=fwd "
       "where it makes a plan, else ours",
       {"auto", "cudnn", "trainbench"}, 0, 0},
  };
  return table;
}

}  // namespace tb
