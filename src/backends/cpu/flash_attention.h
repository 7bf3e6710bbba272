// Fused (FlashAttention-style) scaled dot-product attention on the host CPU.
//
// Conventions (layouts, grouped-query head mapping, bottom-right causal
// alignment, fully masked rows) are those of kernels/attention/attention_shape.h:
//   q, o, dout, dq : [b, h,   sq,  d]     k, v, dk, dv : [b, kvh, skv, d]
//   lse            : [b, h,   sq] fp32, natural log-sum-exp of the scaled, masked scores
// A fully masked query row gets o = 0 and lse = -inf, and contributes nothing
// to any gradient (its dq row is 0).
//
// Element type T: float (fp32), or std::uint16_t holding bf16 bit patterns
// (as src/common/dtype.h stores them). bf16 tiles are widened to fp32 when
// loaded; all arithmetic (both matmuls, the softmax, the log-sum-exp) is fp32;
// o, dq, dk and dv are rounded to bf16 (nearest, ties to even) when stored.
//
// Algorithm. Forward: query tiles of 64 rows against key tiles of 128 rows,
// online softmax (running max and sum, rescaled fp32 accumulator), the scores
// never materialized beyond one 128 x 64 tile per thread. Under the causal
// mask, key tiles entirely above the diagonal are skipped and only tiles that
// cross it are masked element by element. Parallel (OpenMP, dynamic schedule,
// heaviest tiles first) over (b, h, query tile).
// Backward (FlashAttention 2, D_i = rowsum(dout_i * o_i), P recomputed from q,
// k and lse), race-free in two passes:
//   1. parallel over (b, kv head, key tile of 64): each thread owns its dk/dv
//      tile and accumulates it over every query head of the GQA group and every
//      query tile (S, P, dV += P^T dout, dP, dS, dK += scale dS^T q);
//   2. parallel over (b, h, query tile of 64): each thread owns its dq tile and
//      recomputes S, P, dP and dS for every key tile (dQ += scale dS k).
// That is 7 tile matmuls instead of the minimal 5 (S and dP are computed
// twice); no atomics, no per-thread copies of dq, results are deterministic.
//
// Threads: omp_get_max_threads() (the CPU backend sets it). Scratch: a few
// tiles per thread (225 KiB forward, 290 KiB backward at d = 128), never O(sq * skv).
// The kernels are compiled for AVX-512 and AVX2 (x86-64 with GCC or Clang) and
// portably; the best one this CPU supports is chosen at run time.
//
// Throws std::invalid_argument for a shape with a non-positive extent or
// h % kvh != 0, and std::bad_alloc if the scratch cannot be allocated.
#pragma once

#include <cstdint>

#include "kernels/attention/attention_shape.h"

namespace tb {

// o and lse are written in full.
template <typename T>
void flash_attention_forward(const AttentionShape& s, const T* q, const T* k, const T* v, T* o, float* lse);

// o and lse are flash_attention_forward's outputs for the same q, k, v.
// dq, dk and dv are written in full (not accumulated into).
template <typename T>
void flash_attention_backward(const AttentionShape& s, const T* q, const T* k, const T* v, const T* o,
                              const float* lse, const T* dout, T* dq, T* dk, T* dv);

extern template void flash_attention_forward<float>(const AttentionShape&, const float*, const float*, const float*,
                                                     float*, float*);
extern template void flash_attention_forward<std::uint16_t>(const AttentionShape&, const std::uint16_t*,
                                                             const std::uint16_t*, const std::uint16_t*,
                                                             std::uint16_t*, float*);
extern template void flash_attention_backward<float>(const AttentionShape&, const float*, const float*, const float*,
                                                      const float*, const float*, const float*, float*, float*,
                                                      float*);
extern template void flash_attention_backward<std::uint16_t>(const AttentionShape&, const std::uint16_t*,
                                                              const std::uint16_t*, const std::uint16_t*,
                                                              const std::uint16_t*, const float*,
                                                              const std::uint16_t*, std::uint16_t*, std::uint16_t*,
                                                              std::uint16_t*);

// Access to the individual instruction-set variants, for tests and reports.
namespace flash_detail {

enum class Isa { kPortable, kAvx2, kAvx512 };

const char* isa_name(Isa isa);  // "portable", "avx2", "avx512"
// Whether the variant was compiled in and this CPU can run it (kPortable always).
bool isa_supported(Isa isa);
// The variant flash_attention_forward/backward use: the widest supported one.
Isa best_isa();

// As flash_attention_forward/backward, with the variant named; `isa` must be supported.
template <typename T>
void forward(Isa isa, const AttentionShape& s, const T* q, const T* k, const T* v, T* o, float* lse);
template <typename T>
void backward(Isa isa, const AttentionShape& s, const T* q, const T* k, const T* v, const T* o, const float* lse,
              const T* dout, T* dq, T* dk, T* dv);

}  // namespace flash_detail
}  // namespace tb
