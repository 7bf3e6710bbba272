// The portable attention reference: plain C++, double arithmetic, scores
// materialized one query row at a time. The oracle every backend is checked
// against. Conventions: kernels/attention/attention_shape.h.
//
// The work is organised by group: one batch index b and one key/value head
// hkv, together with the `group = h / kvh` query heads hq = hkv*group + g
// (g = 0 .. group-1) that read it. Within a group:
//   s_ij  = scale * q_i . k_j                  (allowed pairs only)
//   m_i   = max_j s_ij,  l_i = sum_j exp(s_ij - m_i)
//   lse_i = m_i + log(l_i),  P_ij = exp(s_ij - lse_i),  o_i = sum_j P_ij v_j
// and the backward (FlashAttention 2), given do:
//   D_i   = do_i . o_i,  dP_ij = do_i . v_j,  dS_ij = P_ij (dP_ij - D_i)
//   dq_i  = scale * sum_j dS_ij k_j
//   dk_j  = scale * sum_(g, i) dS_ij q_i,   dv_j = sum_(g, i) P_ij do_i
// (dk and dv sum over every query head of the group: grouped-query attention).
// Subtracting the row maximum keeps exp() in (0, 1], so scores of any finite
// magnitude give finite results. A fully masked row (no allowed key) has
// o_i = 0, lse_i = -infinity, dq_i = 0, and adds nothing to dk or dv.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/attention/attention_shape.h"
#include "kernels/tensor.h"

namespace tb {

// One group's operands in double. Layouts (row-major):
//   q, dout: [group, sq, d]   (query head g = hq - hkv*group)
//   k, v:    [skv, d]
// dout is empty when only the forward is needed.
struct AttentionGroup {
  std::vector<double> q, k, v, dout;
};

// Reads group (b, hkv) out of HostTensors in the layouts of attention_shape.h
// (q, do: [b, h, sq, d]; k, v: [b, kvh, skv, d]). `dout` may be null.
AttentionGroup attention_group(const AttentionShape& s, const HostTensor& q, const HostTensor& k, const HostTensor& v,
                               const HostTensor* dout, std::int64_t b, std::int64_t hkv);

// Number of keys query row i attends: keys 0 .. n-1 (the causal mask only
// ever removes a suffix of the keys). 0 for a fully masked row.
std::int64_t attention_attended_keys(const AttentionShape& s, std::int64_t i);

// The forward of one query row.
struct AttentionRow {
  std::vector<double> o;  // d values; all 0 for a fully masked row
  double lse;             // -infinity for a fully masked row
};

// Row i of query head g of the group.
AttentionRow attention_forward_row(const AttentionShape& s, const AttentionGroup& grp, std::int64_t g, std::int64_t i);

// The forward of every row of the group: o [group, sq, d], lse [group, sq].
struct AttentionGroupForward {
  std::vector<double> o, lse;
  AttentionRow row(const AttentionShape& s, std::int64_t g, std::int64_t i) const;
};
AttentionGroupForward attention_group_forward(const AttentionShape& s, const AttentionGroup& grp);

// dq of row i of query head g (d values), given that row's forward `fwd`
// (from attention_forward_row or AttentionGroupForward::row). Needs grp.dout.
std::vector<double> attention_dq_row(const AttentionShape& s, const AttentionGroup& grp, std::int64_t g,
                                     std::int64_t i, const AttentionRow& fwd);

// dk and dv of key row j of the group (d values each), summed over all query
// rows of all the group's query heads; P is recomputed from q, k and the
// forward's lse. Needs grp.dout. Cost: group * sq * d * 4 multiply-adds.
struct AttentionKeyGrad {
  std::vector<double> dk, dv;
};
AttentionKeyGrad attention_dkdv_row(const AttentionShape& s, const AttentionGroup& grp,
                                    const AttentionGroupForward& fwd, std::int64_t j);

// The whole backward of a group: dq [group, sq, d], dk and dv [skv, d].
struct AttentionGroupGrads {
  std::vector<double> dq, dk, dv;
};
AttentionGroupGrads attention_group_backward(const AttentionShape& s, const AttentionGroup& grp,
                                             const AttentionGroupForward& fwd);

// The whole problem, in the layouts of attention_shape.h: o [b, h, sq, d],
// lse [b, h, sq], and with `dout` also dq [b, h, sq, d], dk and dv
// [b, kvh, skv, d] (empty without). For tests and small problems.
struct AttentionReference {
  std::vector<double> o, lse, dq, dk, dv;
};
AttentionReference attention_reference(const AttentionShape& s, const HostTensor& q, const HostTensor& k,
                                       const HostTensor& v, const HostTensor* dout);

}  // namespace tb
