// Attention forward and backward on an NVIDIA GPU (fp16/bf16; causal and GQA,
// as the attention problem defines them: kernels/attention/attention_problem.h).
// Forward-only problems (pass=fwd) run on cuDNN's fused flash attention where
// cuDNN loads and offers an engine (cudnn_sdpa.h); everything else on our
// own flash-attention kernels (cuda_attention_kernels.cu, FlashAttention-2
// algorithm): tiles of Q in shared memory, online softmax with fp32
// statistics, K/V streamed, the logsumexp kept for the backward, which
// recomputes P. Plain CUDA-core FMA code in fp32, no tensor cores: correct and
// readable, far from FlashAttention-2/3 speed. docs/cuda.md, section Attention.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "backends/backend.h"
#include "common/error.h"

namespace tb::cuda {

// Which implementation runs attention (--cuda-attention):
//   auto:       cuDNN for pass=fwd when it builds a plan, else our kernels (the
//               result's implementation says which, and why not cuDNN);
//   cudnn:      cuDNN only: pass=fwd problems cuDNN takes, others unsupported;
//   trainbench: our kernels only.
enum class AttentionImpl { kAuto, kCudnn, kTrainbench };
std::string_view attention_impl_name(AttentionImpl impl);  // "auto", "cudnn", "trainbench"
Expected<AttentionImpl> parse_attention_impl(std::string_view name);

// Whether `impl` runs `problem` on a device of compute capability major.minor
// (e.g. 9.0). Our kernels: fp16/bf16 only (fp32 attention: unsupported, says
// so), head dim 64 or 128, sm_80 or newer. cuDNN: pass=fwd, fp16/bf16, causal
// only with sq == skv, sm_80 or newer, libcudnn 9 loads.
Support attention_support(const Problem& problem, int cc_major, int cc_minor, AttentionImpl impl = AttentionImpl::kAuto);

// Device bytes prepare() allocates for `problem` (B); the cuDNN path adds its
// plan's workspace, known only once the plan is made.
std::int64_t attention_device_bytes(const Problem& problem);

// Uploads `inputs` to the current device and returns the workload (run() enqueues
// one forward, or forward+backward, on its own stream). With kCudnn, a plan
// cuDNN cannot make is an error; with kAuto, our kernels run instead.
Expected<std::unique_ptr<Workload>> make_attention_workload(const ProblemPtr& problem,
                                                            const std::vector<HostTensor>& inputs,
                                                            AttentionImpl impl = AttentionImpl::kAuto);

}  // namespace tb::cuda
