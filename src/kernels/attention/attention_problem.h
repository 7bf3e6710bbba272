// Scaled dot-product attention (FlashAttention 2 semantics): forward,
// backward, or both. Conventions (layouts, GQA head mapping, causal alignment,
// fully masked rows): kernels/attention/attention_shape.h.
//
// Problem string:
//   attention:b=<B>,h=<H>[,kvh=<Hkv>],sq=<Sq>[,skv=<Skv>],d=<D>[,causal=0|1]
//             [,dtype=fp32|bf16|fp16][,pass=fwd|bwd|fwdbwd][,scale=<x>]   (dtype=fp8 is refused)
// Defaults: kvh = h, skv = sq, causal = 0, dtype = fp32, pass = fwd,
// scale = 1/sqrt(d) (as float). Canonical form (docs/problem-strings.md):
//   attention:b=..,h=..,kvh=..,sq=..,skv=..,d=..,causal=0|1,dtype=..,pass=..[,scale=%.9g]
//
// Tensors, in this order (backends rely on names and order):
//   pass=fwd:    inputs q, k, v          outputs o, lse
//   pass=bwd:    inputs q, k, v, do      outputs dq, dk, dv
//                (o and lse are the backend's business: it computes them with
//                an untimed forward while preparing)
//   pass=fwdbwd: inputs q, k, v, do      outputs o, lse, dq, dk, dv
//   q, o, do, dq: [b, h, sq, d]; k, v, dk, dv: [b, kvh, skv, d]; all in the
//   problem dtype. lse: [b, h, sq], always fp32.
//
// Work (the FlashAttention papers' convention; docs/attention.md):
//   forward  = 4 * b * h * attended_pairs * d FLOP (two matmuls, 2 FLOP per
//              multiply-add), where attended_pairs is the exact number of
//              (query, key) pairs a head attends: sq*skv without a mask, fewer
//              under the causal mask (s(s+1)/2 when sq == skv = s, i.e. about
//              half, the "causal counts half" convention made exact)
//   backward = 2.5 x forward (five matmuls instead of two)
//   fwdbwd   = 3.5 x forward
// Fewest bytes: every input read once and every output written once (the sum
// of the tensors above; a backward's reads of its own o and lse are not counted).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "kernels/attention/attention_shape.h"
#include "kernels/problem.h"
#include "kernels/problem_string.h"

namespace tb {

enum class AttentionPass { kFwd, kBwd, kFwdBwd };

std::string_view attention_pass_name(AttentionPass pass);  // "fwd", "bwd", "fwdbwd"

class AttentionProblem final : public Problem {
 public:
  // Largest b, h, kvh, sq or skv; largest head dimension d.
  static constexpr std::int64_t kMaxSize = std::int64_t{1} << 20;
  static constexpr std::int64_t kMaxHeadDim = 1024;
  // Largest element count of any one tensor (far beyond any host's memory;
  // keeps every byte count well inside int64).
  static constexpr double kMaxTensorElements = 0x1p48;
  // Accepted range of an explicit scale. The scale is stored as float and
  // printed with %.9g; both ends are chosen so that every printed scale is
  // again in range: 1e6 is a float, and 1e-7 rounds up to the float
  // 1.00000001e-07 (1e-6 would not do: it rounds down to 9.99999997e-07).
  static constexpr double kMinScale = 1e-7;
  static constexpr double kMaxScale = 1e6;

  // The default softmax scale: the float nearest 1/sqrt(d).
  static float default_scale(std::int64_t d);

  // `shape.scale` is used as given; `scale_given` says whether the problem
  // string named it (to_string() prints it only then).
  AttentionProblem(const AttentionShape& shape, DType dtype, AttentionPass pass, bool scale_given);
  static Expected<ProblemPtr> parse(const ProblemSpec& spec);

  const AttentionShape& shape() const { return shape_; }
  AttentionPass pass() const { return pass_; }
  bool scale_given() const { return scale_given_; }
  bool has_forward_outputs() const { return pass_ != AttentionPass::kBwd; }  // o and lse are outputs
  bool has_backward() const { return pass_ != AttentionPass::kFwd; }        // do is an input; dq, dk, dv outputs

  std::string_view kernel() const override { return "attention"; }
  std::string to_string() const override;
  DType dtype() const override { return dtype_; }
  double flop() const override;
  double forward_flop() const;  // 4 * b * h * attended_pairs * d
  double min_bytes() const override;
  std::vector<TensorSpec> input_specs() const override;
  std::vector<TensorSpec> output_specs() const override;
  // Metric "attention_normwise_rel": docs/verification.md, section Attention.
  Verification verify(const std::vector<HostTensor>& inputs, const std::vector<HostTensor>& outputs,
                      std::uint64_t seed) const override;

  // The pass/fail threshold of verify() for a dtype (same for every output tensor).
  static double tolerance(DType dtype);

 private:
  AttentionShape shape_;
  DType dtype_;
  AttentionPass pass_;
  bool scale_given_;
  std::int64_t pairs_;  // shape_.attended_pairs(), computed once
};

}  // namespace tb
