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
// Algorithm. Forward: query tiles of 128 rows against key tiles of 128 rows,
// online softmax (running max and sum, rescaled fp32 accumulator), the scores
// never materialized beyond one 128 x 128 tile per thread. Under the causal
// mask, key tiles entirely above the diagonal are skipped and only tiles that
// cross it are masked element by element. Parallel (OpenMP, dynamic schedule,
// heaviest tiles first) over (b, h, query tile).
// Backward (FlashAttention 2, D_i = rowsum(dout_i * o_i), P recomputed from q,
// k and lse), 5 tile matmuls, race-free: a prologue computes D and lse per row;
// then, parallel over (b, kv head, key split), each work item owns the dk/dv
// tiles of its keys (key tiles of 64) and accumulates them over every query
// head of the GQA group and every query tile of 64 (S = q K^T, P, dV += P^T
// dout, dP = dout V^T, dS = P (dP - D), dK += dS^T q, dQ += dS K). dq goes to
// an fp32 accumulator per key split (backward_splits: 1 when b * kvh balances
// the threads; then, in fp32 with d a multiple of the register tile, dq itself)
// that only that split's items write; an epilogue sums the splits in order and
// scales. No atomics; results do not depend on the thread schedule.
//
// Threads: omp_get_max_threads() (the CPU backend sets it). Scratch: a few
// tiles per thread (322 KiB forward, 257 KiB backward at d = 128), never
// O(sq * skv); the backward adds 8 bytes per query row and the dq accumulators
// (splits x b x h x sq x d fp32, d rounded up to the register tile; none in
// fp32 with one split).
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

// Where a kernel's time went: seconds summed over threads (the backward's
// prologue and epilogue count wall time x threads). matmul: the tile matmuls;
// exp: exponentials and elementwise score arithmetic (P, dS); reduce: row
// reductions (running max; rowsum(dout * o), the dq reduction); other: packing,
// widening, masking set-up and output stores. Timing adds about 1%.
struct Phases {
  double matmul_s = 0.0, exp_s = 0.0, reduce_s = 0.0, other_s = 0.0;
};

// As flash_attention_forward/backward, with the variant named; `isa` must be
// supported. With `phases`, the breakdown is added to it.
template <typename T>
void forward(Isa isa, const AttentionShape& s, const T* q, const T* k, const T* v, T* o, float* lse,
             Phases* phases = nullptr);
template <typename T>
void backward(Isa isa, const AttentionShape& s, const T* q, const T* k, const T* v, const T* o, const float* lse,
              const T* dout, T* dq, T* dk, T* dv, Phases* phases = nullptr);

// The backward's key-tile splits per kv head for `threads` threads: 1 when the
// b * kvh heads alone balance the threads (a multiple of them, or >= 4 per
// thread), else enough for ~2 work items per thread, at most one per key tile
// of 64, and fewer when the splits' fp32 dq accumulators (one dq each) would
// pass kMaxDqAccumulatorBytes.
std::int64_t backward_splits(const AttentionShape& s, int threads);
// Memory the backward allocates besides its per-thread tiles (B), at most: 2
// floats per query row and the dq accumulators, rows padded to 64 floats
// (none are allocated in fp32 with one split and d a multiple of the tile).
std::int64_t backward_extra_bytes(const AttentionShape& s, int threads);
constexpr std::int64_t kMaxDqAccumulatorBytes = std::int64_t{1} << 30;

}  // namespace flash_detail
}  // namespace tb
