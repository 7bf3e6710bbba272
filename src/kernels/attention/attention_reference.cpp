#include "kernels/attention/attention_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tb {
namespace {

using Index = std::int64_t;

std::size_t at(Index i) { return static_cast<std::size_t>(i); }

// x . y over d values, in four interleaved partial sums (c mod 4) added at
// the end: still a plain double sum, but one the compiler can vectorize.
double dot(const double* x, const double* y, Index d) {
  double part[4] = {0.0, 0.0, 0.0, 0.0};
  Index c = 0;
  for (; c + 4 <= d; c += 4) {
    for (Index lane = 0; lane < 4; ++lane) part[lane] += x[c + lane] * y[c + lane];
  }
  for (; c < d; ++c) part[0] += x[c] * y[c];
  return (part[0] + part[1]) + (part[2] + part[3]);
}

// Copies rows [row0, row0 + rows) of d values each, starting at flat row index row0 of t.
void read_rows(const HostTensor& t, Index row0, Index rows, Index d, double* out) {
  for (Index e = 0; e < rows * d; ++e) out[e] = static_cast<double>(t.at(at(row0 * d + e)));
}

}  // namespace

AttentionGroup attention_group(const AttentionShape& s, const HostTensor& q, const HostTensor& k, const HostTensor& v,
                               const HostTensor* dout, Index b, Index hkv) {
  const Index group = s.group();
  AttentionGroup grp;
  grp.q.resize(at(group * s.sq * s.d));
  grp.k.resize(at(s.skv * s.d));
  grp.v.resize(at(s.skv * s.d));
  // Query heads hkv*group .. hkv*group + group - 1 are contiguous in [b, h, sq, d].
  const Index q_row0 = (b * s.h + hkv * group) * s.sq;
  const Index kv_row0 = (b * s.kvh + hkv) * s.skv;
  read_rows(q, q_row0, group * s.sq, s.d, grp.q.data());
  read_rows(k, kv_row0, s.skv, s.d, grp.k.data());
  read_rows(v, kv_row0, s.skv, s.d, grp.v.data());
  if (dout != nullptr) {
    grp.dout.resize(grp.q.size());
    read_rows(*dout, q_row0, group * s.sq, s.d, grp.dout.data());
  }
  return grp;
}

Index attention_attended_keys(const AttentionShape& s, Index i) {
  if (!s.causal) return s.skv;
  // Allowed iff j <= i + (skv - sq) (attention_shape.h): keys 0 .. i + skv - sq.
  return std::clamp<Index>(i + (s.skv - s.sq) + 1, 0, s.skv);
}

AttentionRow attention_forward_row(const AttentionShape& s, const AttentionGroup& grp, Index g, Index i) {
  const Index d = s.d;
  const Index n = attention_attended_keys(s, i);
  AttentionRow row{std::vector<double>(at(d), 0.0), -std::numeric_limits<double>::infinity()};
  if (n == 0) return row;  // fully masked

  const double scale = static_cast<double>(s.scale);
  const double* qi = &grp.q[at((g * s.sq + i) * d)];
  std::vector<double> scores(at(n));
  double m = -std::numeric_limits<double>::infinity();
  for (Index j = 0; j < n; ++j) {
    scores[at(j)] = scale * dot(qi, &grp.k[at(j * d)], d);
    m = std::max(m, scores[at(j)]);
  }
  double l = 0.0;
  for (Index j = 0; j < n; ++j) {
    const double p = std::exp(scores[at(j)] - m);  // in (0, 1]: no overflow whatever the scores' magnitude
    l += p;
    const double* vj = &grp.v[at(j * d)];
    for (Index c = 0; c < d; ++c) row.o[at(c)] += p * vj[c];
  }
  for (double& x : row.o) x /= l;  // l >= 1: the maximum contributes exp(0)
  row.lse = m + std::log(l);
  return row;
}

AttentionRow AttentionGroupForward::row(const AttentionShape& s, Index g, Index i) const {
  const Index r = g * s.sq + i;
  return {std::vector<double>(o.begin() + static_cast<std::ptrdiff_t>(r * s.d),
                              o.begin() + static_cast<std::ptrdiff_t>((r + 1) * s.d)),
          lse[at(r)]};
}

AttentionGroupForward attention_group_forward(const AttentionShape& s, const AttentionGroup& grp) {
  AttentionGroupForward fwd;
  fwd.o.resize(at(s.group() * s.sq * s.d));
  fwd.lse.resize(at(s.group() * s.sq));
  for (Index g = 0; g < s.group(); ++g) {
    for (Index i = 0; i < s.sq; ++i) {
      const AttentionRow row = attention_forward_row(s, grp, g, i);
      const Index r = g * s.sq + i;
      std::copy(row.o.begin(), row.o.end(), fwd.o.begin() + static_cast<std::ptrdiff_t>(r * s.d));
      fwd.lse[at(r)] = row.lse;
    }
  }
  return fwd;
}

std::vector<double> attention_dq_row(const AttentionShape& s, const AttentionGroup& grp, Index g, Index i,
                                     const AttentionRow& fwd) {
  const Index d = s.d;
  const Index n = attention_attended_keys(s, i);
  std::vector<double> dq(at(d), 0.0);
  if (n == 0) return dq;  // fully masked: no gradient

  const double scale = static_cast<double>(s.scale);
  const double* qi = &grp.q[at((g * s.sq + i) * d)];
  const double* doi = &grp.dout[at((g * s.sq + i) * d)];
  const double D = dot(doi, fwd.o.data(), d);
  for (Index j = 0; j < n; ++j) {
    const double* kj = &grp.k[at(j * d)];
    const double p = std::exp(scale * dot(qi, kj, d) - fwd.lse);
    const double ds = p * (dot(doi, &grp.v[at(j * d)], d) - D);
    for (Index c = 0; c < d; ++c) dq[at(c)] += scale * ds * kj[c];
  }
  return dq;
}

AttentionKeyGrad attention_dkdv_row(const AttentionShape& s, const AttentionGroup& grp,
                                    const AttentionGroupForward& fwd, Index j) {
  const Index d = s.d;
  const double scale = static_cast<double>(s.scale);
  AttentionKeyGrad grad{std::vector<double>(at(d), 0.0), std::vector<double>(at(d), 0.0)};
  const double* kj = &grp.k[at(j * d)];
  const double* vj = &grp.v[at(j * d)];
  for (Index g = 0; g < s.group(); ++g) {
    for (Index i = 0; i < s.sq; ++i) {
      if (j >= attention_attended_keys(s, i)) continue;  // masked pair (every pair of a fully masked row)
      const Index r = g * s.sq + i;
      const double* qi = &grp.q[at(r * d)];
      const double* doi = &grp.dout[at(r * d)];
      const double p = std::exp(scale * dot(qi, kj, d) - fwd.lse[at(r)]);
      const double D = dot(doi, &fwd.o[at(r * d)], d);
      const double ds = p * (dot(doi, vj, d) - D);
      for (Index c = 0; c < d; ++c) {
        grad.dk[at(c)] += scale * ds * qi[c];
        grad.dv[at(c)] += p * doi[c];
      }
    }
  }
  return grad;
}

AttentionGroupGrads attention_group_backward(const AttentionShape& s, const AttentionGroup& grp,
                                             const AttentionGroupForward& fwd) {
  const Index d = s.d;
  AttentionGroupGrads grads;
  grads.dq.resize(at(s.group() * s.sq * d));
  grads.dk.resize(at(s.skv * d));
  grads.dv.resize(at(s.skv * d));
  for (Index g = 0; g < s.group(); ++g) {
    for (Index i = 0; i < s.sq; ++i) {
      const std::vector<double> dq = attention_dq_row(s, grp, g, i, fwd.row(s, g, i));
      std::copy(dq.begin(), dq.end(), grads.dq.begin() + static_cast<std::ptrdiff_t>((g * s.sq + i) * d));
    }
  }
  for (Index j = 0; j < s.skv; ++j) {
    const AttentionKeyGrad kg = attention_dkdv_row(s, grp, fwd, j);
    std::copy(kg.dk.begin(), kg.dk.end(), grads.dk.begin() + static_cast<std::ptrdiff_t>(j * d));
    std::copy(kg.dv.begin(), kg.dv.end(), grads.dv.begin() + static_cast<std::ptrdiff_t>(j * d));
  }
  return grads;
}

AttentionReference attention_reference(const AttentionShape& s, const HostTensor& q, const HostTensor& k,
                                       const HostTensor& v, const HostTensor* dout) {
  const Index q_group = s.group() * s.sq * s.d;  // elements of one group's q, o, dq
  const Index kv_rows = s.skv * s.d;             // elements of one head's k, v, dk, dv
  AttentionReference ref;
  ref.o.resize(at(s.b * s.h * s.sq * s.d));
  ref.lse.resize(at(s.b * s.h * s.sq));
  if (dout != nullptr) {
    ref.dq.resize(ref.o.size());
    ref.dk.resize(at(s.b * s.kvh * kv_rows));
    ref.dv.resize(ref.dk.size());
  }
  for (Index b = 0; b < s.b; ++b) {
    for (Index hkv = 0; hkv < s.kvh; ++hkv) {
      const AttentionGroup grp = attention_group(s, q, k, v, dout, b, hkv);
      const AttentionGroupForward fwd = attention_group_forward(s, grp);
      const Index gi = b * s.kvh + hkv;  // groups are contiguous in q, o, lse, dq and in k, v, dk, dv
      std::copy(fwd.o.begin(), fwd.o.end(), ref.o.begin() + static_cast<std::ptrdiff_t>(gi * q_group));
      std::copy(fwd.lse.begin(), fwd.lse.end(),
                ref.lse.begin() + static_cast<std::ptrdiff_t>(gi * s.group() * s.sq));
      if (dout == nullptr) continue;
      const AttentionGroupGrads grads = attention_group_backward(s, grp, fwd);
      std::copy(grads.dq.begin(), grads.dq.end(), ref.dq.begin() + static_cast<std::ptrdiff_t>(gi * q_group));
      std::copy(grads.dk.begin(), grads.dk.end(), ref.dk.begin() + static_cast<std::ptrdiff_t>(gi * kv_rows));
      std::copy(grads.dv.begin(), grads.dv.end(), ref.dv.begin() + static_cast<std::ptrdiff_t>(gi * kv_rows));
    }
  }
  return ref;
}

}  // namespace tb
