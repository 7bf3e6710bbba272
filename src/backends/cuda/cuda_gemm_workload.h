// GEMM on an NVIDIA GPU through cuBLASLt (docs/cuda.md#gemm).
// Row-major operands as the GEMM problem stores them (kernels/gemm/gemm_problem.h)
// are handed to column-major cuBLASLt as the transposed product
// C^T[N,M] = op(B)^T op(A)^T: the row-major buffers read column-major are
// exactly B^T, A^T and C^T, so no data moves and ta/tb become transa/transb
// of the swapped operands. fp32 accumulation (CUBLAS_COMPUTE_32F; with
// allow_tf32, CUBLAS_COMPUTE_32F_FAST_TF32 for fp32 operands). fp8 GEMM: A and
// B CUDA_R_8F_E4M3, C and D CUDA_R_16BF, CUBLAS_COMPUTE_32F, scale type
// CUDA_R_32F, no scale pointers (scales 1), fast accumulation off.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "backends/backend.h"
#include "backends/cuda/cublaslt_library.h"
#include "kernels/gemm/gemm_problem.h"

namespace tb::cuda {

// cuBLASLt's workspace: 32 MiB, NVIDIA's recommendation for Hopper (B).
inline constexpr std::size_t kGemmWorkspaceBytes = std::size_t{32} << 20;

inline constexpr int kDefaultGemmCandidates = 8;  // heuristic candidates timed per GEMM
inline constexpr int kMaxGemmCandidates = 16;

struct GemmOptions {
  bool allow_tf32 = false;      // fp32 GEMMs on tensor cores in TF32 (--cuda-tf32)
  bool rotate_buffers = false;  // cold cache: cycle through copies of A, B, C (--cuda-cold-cache)
  std::int64_t l2_bytes = 0;    // the device's L2 cache (B), for rotate_buffers
  // cuBLASLt heuristic candidates timed when the workload is made, the fastest
  // kept (--cuda-gemm-candidates); 1 = the heuristic's first, untimed.
  int algo_candidates = kDefaultGemmCandidates;
};

// Index of the fastest of the candidates' median times (s); a candidate that
// failed to run has a non-finite or non-positive time and is never chosen; a
// tie keeps the earlier (the heuristic's order). nullopt when none ran.
std::optional<std::size_t> fastest_candidate(const std::vector<double>& median_seconds);

// Whether the CUDA backend runs `problem` on a device of compute capability
// cc_major.cc_minor, and why not; needs no GPU. The dtype (dtype_support_on),
// then, for fp8, cuBLASLt's fp8 rules on Ada and Hopper: the "TN" format in
// its column-major terms (its A transposed, its B not) and leading dimensions
// that are multiples of 16 B. Its A is our B (transa = tb) and its B our A
// (transb = ta), so only row-major ta=0, tb=1 qualifies (A stored [M,K], B
// stored [N,K]: K contiguous in both); the leading dimensions are then K for A
// and B (1 B per element: K % 16 == 0) and N for C (bf16, 2 B: N % 8 == 0).
Support gemm_support(const GemmProblem& problem, int cc_major, int cc_minor);

// Operand sets prepare() allocates: 1, or with rotate_buffers enough copies of
// (A, B, C) that together they are at least twice the L2 cache.
std::int64_t gemm_operand_sets(const GemmProblem& problem, const GemmOptions& options);

// Device bytes the workload allocates: every operand set (each operand padded
// to 256 B) plus the workspace (B).
std::int64_t gemm_device_bytes(const GemmProblem& problem, const GemmOptions& options);

// Uploads A and B (inputs in input_specs() order) to the current device and
// picks the algorithm: cuBLASLt's heuristic offers up to
// options.algo_candidates, each runs 2 warm-ups and 5 timed matmuls (CUDA
// events) on the first operand set, the fastest median is kept (the result's
// implementation names it and the heuristic's first). run() enqueues
// one matmul on the workload's stream, on the next operand set; poison_outputs()
// restarts at the first set, so the verification run uses it.
Expected<std::unique_ptr<Workload>> make_gemm_workload(const GemmProblem& problem,
                                                       const std::vector<HostTensor>& inputs,
                                                       const std::shared_ptr<const CublasLtLibrary>& lib,
                                                       const GemmOptions& options);

}  // namespace tb::cuda
