// Shape and conventions of scaled dot-product attention, shared by the
// problem, the reference kernel and every backend implementation.
//
// Layouts (row-major, densely packed):
//   q, o, do, dq : [b, h,   sq,  d]
//   k, v, dk, dv : [b, kvh, skv, d]
//   lse          : [b, h,   sq]      fp32, natural log-sum-exp of the scaled, masked scores
// Query head hq reads key/value head hq / (h / kvh) (grouped-query attention).
// Scores s_ij = scale * q_i . k_j; P = softmax over j of the unmasked s_ij; o_i = sum_j P_ij v_j.
// Causal mask, aligned bottom-right (as FlashAttention 2 does when sq != skv):
//   query i may attend key j  iff  j <= i + (skv - sq).
// A query row with no key to attend (i + skv - sq < 0, possible when sq > skv)
// is fully masked: its output row is 0, its lse is -infinity, and it
// contributes nothing to any gradient.
#pragma once

#include <cstdint>

namespace tb {

struct AttentionShape {
  std::int64_t b = 1, h = 1, kvh = 1, sq = 1, skv = 1, d = 1;
  bool causal = false;
  float scale = 1.0f;  // softmax scale; 1/sqrt(d) by default

  std::int64_t group() const { return h / kvh; }  // query heads per key/value head
  // Whether query row i may attend key j.
  bool allowed(std::int64_t i, std::int64_t j) const { return !causal || j <= i + (skv - sq); }
  // Number of (i, j) pairs a query head attends: sq*skv, or fewer under the causal mask.
  std::int64_t attended_pairs() const {
    if (!causal) return sq * skv;
    std::int64_t pairs = 0;
    for (std::int64_t i = 0; i < sq; ++i) {
      const std::int64_t last = i + (skv - sq);  // last allowed key
      if (last >= 0) pairs += (last + 1 < skv ? last + 1 : skv);
    }
    return pairs;
  }
};

}  // namespace tb
