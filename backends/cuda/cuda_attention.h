// Attention forward and backward on an NVIDIA GPU (fp16/bf16; causal and GQA,
// as the attention problem defines them: kernels/attention/attention_problem.h).
// Our own flash-attention kernels (cuda_attention_kernels.cu, FlashAttention-2
// algorithm): tiles of Q in shared memory, online softmax with fp32
// statistics, K/V streamed, the logsumexp kept for the backward, which
// recomputes P. Plain CUDA-core FMA code in fp32, no tensor cores: correct and
// readable, far from FlashAttention-2/3 speed. docs/cuda.md, section Attention.
#pragma once

#include <memory>
#include <vector>

#include "backends/backend.h"

namespace tb::cuda {

// Whether our kernels run `problem` on a device of compute capability
// major.minor (e.g. 9.0): fp16/bf16 only (fp32 attention: unsupported, says so),
// head dim 64 or 128, sm_80 or newer.
Support attention_support(const Problem& problem, int cc_major, int cc_minor);

// Device bytes prepare() allocates for `problem` (B).
std::int64_t attention_device_bytes(const Problem& problem);

// Uploads `inputs` to the current device and returns the workload (run() enqueues
// one forward, or forward+backward, on its own stream).
Expected<std::unique_ptr<Workload>> make_attention_workload(const ProblemPtr& problem,
                                                            const std::vector<HostTensor>& inputs);

}  // namespace tb::cuda
