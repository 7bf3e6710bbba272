// Attention composed from oneDNN primitives with the scores materialized: the
// CPU backend's second attention candidate beside the fused kernel
// (cpu_attention.h times both and keeps the faster). fp32 only.
//
// Conventions are the fused kernel's (flash_attention.h): layouts, GQA head
// mapping, bottom-right causal alignment, fully masked rows (o = 0, lse = -inf,
// no gradient).
//   forward:  S = scale q k^T (one batched matmul), causal mask (-inf), P =
//             softmax(S) (oneDNN, in place), o = P v; lse = rowmax(S) - ln(P at
//             the row's largest score), exact to fp32 rounding since P there
//             is in [1/skv, 1].
//   backward: from the P the forward stored (4 matmuls, as autograd does):
//             dv = P^T dout, dP = dout v^T, dS = P (dP - rowsum(dP P))
//             (oneDNN's softmax backward, in place), dq = scale dS k,
//             dk = scale dS^T q.
// GQA costs nothing: a group's query heads are consecutive, so q [b, h, sq, d]
// is read as [b * kvh, group * sq, d], every matmul is batched over b * kvh,
// and dk, dv sum over the group inside their matmul.
// Memory: the scores of every head at once, score_bytes().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/error.h"
#include "kernels/attention/attention_shape.h"

namespace tb {

// The tensors of one attention problem, fp32, owned by the caller and alive
// as long as the OneDnnAttention made from them. dout, dq, dk, dv: null for a
// forward only.
struct AttentionTensors {
  const float *q, *k, *v;
  float *o, *lse;
  const float* dout;
  float *dq, *dk, *dv;
};

class OneDnnAttention {
 public:
  // Bytes the composition allocates: the scores (b * h * sq * skv fp32), and
  // with a backward the same again for dP.
  static std::int64_t score_bytes(const AttentionShape& s, bool backward);

  // Creates every primitive and buffer; a failure of oneDNN or of the
  // allocation comes back as an error naming the problem.
  static Expected<std::unique_ptr<OneDnnAttention>> create(const AttentionShape& s, const AttentionTensors& t);

  ~OneDnnAttention();
  OneDnnAttention(const OneDnnAttention&) = delete;
  OneDnnAttention& operator=(const OneDnnAttention&) = delete;

  Status forward();   // o, lse; keeps P for backward()
  Status backward();  // dq, dk, dv from the P of the last forward()
  // "oneDNN 2.6.3 composition: matmul brg:avx512_core, softmax jit:avx512_core, ..."
  std::string implementation() const;

 private:
  struct Primitives;
  explicit OneDnnAttention(std::unique_ptr<Primitives> p);
  std::unique_ptr<Primitives> p_;
};

}  // namespace tb
