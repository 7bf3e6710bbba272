// Attention workloads on the host CPU: the fused flash-attention kernels
// (flash_attention.h) over buffers the workload owns.
#pragma once

#include <memory>
#include <vector>

#include "backends/backend.h"
#include "kernels/attention/attention_problem.h"

namespace tb {

// Largest head dimension the CPU backend accepts: the kernels take any d, but
// per-thread scratch grows with d and only d <= 128 has been measured.
inline constexpr std::int64_t kCpuAttentionMaxHeadDim = 256;

Support cpu_attention_support(const AttentionProblem& p);
// Bytes the workload allocates besides the host inputs and read-back outputs.
std::int64_t cpu_attention_bytes(const AttentionProblem& p);
Expected<std::unique_ptr<Workload>> make_cpu_attention(const AttentionProblem& p, const std::vector<HostTensor>& inputs);

}  // namespace tb
