// Attention workloads on the host CPU over buffers the workload owns, by one
// of two implementations (docs/attention.md, "The CPU backend's two implementations"):
//   fused:  the flash-attention kernels (flash_attention.h), any dtype the
//           backend takes, memory O(tiles);
//   onednn: the composition of oneDNN calls with the scores materialized
//           (onednn_attention.h), fp32 only, memory O(b * h * sq * skv).
// With --cpu-attention auto (the default) both are timed when the problem is
// prepared, where the composition is a candidate, and the faster is kept; the
// workload's implementation() names the one used and why.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "backends/backend.h"
#include "kernels/attention/attention_problem.h"

namespace tb {

// Largest head dimension the CPU backend accepts: the kernels take any d, but
// per-thread scratch grows with d and only d <= 128 has been measured.
inline constexpr std::int64_t kCpuAttentionMaxHeadDim = 256;

enum class CpuAttentionImpl { kAuto, kFused, kOneDnn };

// "auto", "fused", "onednn" (the --cpu-attention values); else bad input naming the value.
Expected<CpuAttentionImpl> parse_cpu_attention_impl(std::string_view text);

// Under auto, the composition is a candidate only where its scores
// (OneDnnAttention::score_bytes) take at most this and a quarter of the host
// memory available: beyond, its memory traffic loses to the fused kernel, and
// a long sequence keeps the fused kernel's small footprint.
inline constexpr std::int64_t kAutoCompositionMaxScoreBytes = std::int64_t{1} << 30;

// Whether auto times the composition for `p` with `available_bytes` of host
// memory (0 = unknown: refused), and why not.
Support composition_candidate(const AttentionProblem& p, std::int64_t available_bytes);

Support cpu_attention_support(const AttentionProblem& p, CpuAttentionImpl impl);
// Bytes the workload allocates besides the host inputs and read-back outputs
// (for `threads` threads): the fused kernel's, and with onednn pinned the scores.
std::int64_t cpu_attention_bytes(const AttentionProblem& p, CpuAttentionImpl impl, int threads);
Expected<std::unique_ptr<Workload>> make_cpu_attention(const AttentionProblem& p, const std::vector<HostTensor>& inputs,
                                                       CpuAttentionImpl impl);

}  // namespace tb
