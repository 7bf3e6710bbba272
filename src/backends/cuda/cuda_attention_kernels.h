// Host launchers of our flash-attention kernels (cuda_attention_kernels.cu).
// Internal to the CUDA backend: cuda_attention.cpp is the only caller. Raw
// device pointers, shapes and element strides in, cudaError_t out; nothing
// here allocates (the caller owns every buffer, scratch included).
//
// The kernels are plain CUDA-core FMA code (no tensor cores, no WMMA): fp16 or
// bf16 storage, every product and sum in fp32. Algorithm, tiling and what has
// been verified: docs/cuda.md, section "Attention".
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace tb::cuda {

// Tile sizes, shared by every kernel (documented in the .cu file).
inline constexpr int kAttentionBlockM = 32;   // query rows per tile
inline constexpr int kAttentionBlockN = 32;   // key/value rows per tile
inline constexpr int kAttentionThreads = 128;  // threads per block: 4 per tile row

enum class AttentionElement { kFp16, kBf16 };  // storage type of q, k, v, o, do, dq, dk, dv

// Element strides of a [b, heads, seq, d] tensor; the d dimension is always
// contiguous (stride 1). dense() is the packed layout attention_shape.h defines.
struct AttentionLayout {
  std::int64_t batch = 0, head = 0, row = 0;
  static AttentionLayout dense(std::int64_t heads, std::int64_t seq, std::int64_t d) {
    return {heads * seq * d, seq * d, d};
  }
};

// Problem dimensions, as in kernels/attention/attention_shape.h: query head hq
// reads key/value head hq / (h / kvh); causal masks key j for query i unless
// j <= i + (skv - sq). d must be 64 or 128; h % kvh == 0; b, h <= 65535.
struct AttentionDims {
  std::int64_t b = 1, h = 1, kvh = 1, sq = 1, skv = 1, d = 64;
  bool causal = false;
  float scale = 1.0f;
};

// Whether the launchers take d (64 or 128).
inline bool attention_head_dim_supported(std::int64_t d) { return d == 64 || d == 128; }

struct AttentionForwardArgs {
  const void* q = nullptr;  // [b, h, sq, d], layout q_layout
  const void* k = nullptr;  // [b, kvh, skv, d], layout kv_layout
  const void* v = nullptr;  // [b, kvh, skv, d], layout kv_layout
  void* o = nullptr;        // [b, h, sq, d], layout q_layout (written)
  float* lse = nullptr;     // [b, h, sq], dense (written): natural log-sum-exp of the scaled scores
  AttentionLayout q_layout, kv_layout;
};

struct AttentionBackwardArgs {
  const void* q = nullptr;   // [b, h, sq, d], q_layout
  const void* k = nullptr;   // [b, kvh, skv, d], kv_layout
  const void* v = nullptr;   // [b, kvh, skv, d], kv_layout
  const void* o = nullptr;   // [b, h, sq, d], q_layout: the forward's output
  const float* lse = nullptr;  // [b, h, sq], dense: the forward's log-sum-exp
  const void* dout = nullptr;  // [b, h, sq, d], q_layout
  void* dq = nullptr;        // [b, h, sq, d], q_layout (written)
  void* dk = nullptr;        // [b, kvh, skv, d], kv_layout (written)
  void* dv = nullptr;        // [b, kvh, skv, d], kv_layout (written)
  float* dq_accum = nullptr;  // scratch [b, h, sq, d] fp32, dense (zeroed here, then accumulated atomically)
  float* delta = nullptr;     // scratch [b, h, sq] fp32, dense: D_i = rowsum(dO_i * O_i)
  AttentionLayout q_layout, kv_layout;
};

// Scratch elements the backward needs (fp32 each).
inline std::int64_t attention_dq_accum_elements(const AttentionDims& s) { return s.b * s.h * s.sq * s.d; }
inline std::int64_t attention_delta_elements(const AttentionDims& s) { return s.b * s.h * s.sq; }

// Enqueues the forward on `stream`: o and lse. cudaErrorInvalidValue for
// dimensions the kernels do not take (see AttentionDims); otherwise the
// launch's cudaGetLastError().
cudaError_t attention_forward(AttentionElement element, const AttentionDims& dims, const AttentionForwardArgs& args,
                              cudaStream_t stream);

// Enqueues the backward on `stream` (four launches: zero dq_accum, delta,
// dK/dV with atomic dQ, dQ fp32 -> element type). Needs the forward's o and lse.
cudaError_t attention_backward(AttentionElement element, const AttentionDims& dims,
                               const AttentionBackwardArgs& args, cudaStream_t stream);

}  // namespace tb::cuda
