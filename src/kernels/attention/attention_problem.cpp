#include "kernels/attention/attention_problem.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>

#include "kernels/attention/attention_reference.h"

namespace tb {
namespace {

using Index = std::int64_t;

// Check everything when 4*b*h*sq*skv*d (the unmasked forward FLOP) is at most
// this; above it, check a seeded sample (docs/verification.md, Attention).
constexpr double kFullCheckFlop = 0x1p26;
constexpr Index kSampledGroups = 2;  // (b, kv head) groups checked in a sample
constexpr Index kSampledRows = 32;   // query rows per query head, key rows per group

std::size_t at(Index i) { return static_cast<std::size_t>(i); }

// The comparison of one output tensor with the reference.
//
// Error of the tensor (the metric "attention_normwise_rel"):
//   o, dq, dk, dv: ||out - ref||_2 / ||ref||_2 over the checked elements;
//                  where the reference is all zero, the root mean square of
//                  the output instead (absolute: dq and dk vanish identically
//                  when every attending row attends one key, skv = 1, and a
//                  correct fp32 kernel leaves the rounding residual of
//                  dS = P (dP - D) there, far below any tolerance);
//   lse:           max |out - ref| over the checked rows whose reference is
//                  finite (an absolute error of a log is the relative error
//                  of its argument, the softmax denominator); a -infinity
//                  reference (fully masked row) must be matched by -infinity.
// A non-finite output where the reference is finite is counted in
// `nonfinite`; it and an unmatched -infinity make the error +infinity.
class TensorCheck {
 public:
  TensorCheck(std::string name, const HostTensor& out, bool absolute)
      : name_(std::move(name)), out_(&out), absolute_(absolute) {}

  void compare(Index index, double ref) {
    const double got = static_cast<double>(out_->at(at(index)));
    ++checked_;
    double worst = 0.0;
    if (std::isinf(ref)) {  // lse of a fully masked row: -infinity exactly
      if (got == ref) return;
      if (std::isnan(got) || std::isinf(got)) ++nonfinite_;
      else ++mismatched_;
      worst = INFINITY;
    } else if (!std::isfinite(got)) {
      ++nonfinite_;
      worst = INFINITY;
    } else {
      const double diff = got - ref;
      diff2_ += diff * diff;
      ref2_ += ref * ref;
      max_abs_ = std::max(max_abs_, std::fabs(diff));
      worst = std::fabs(diff);
    }
    if (worst_index_ < 0 || worst > worst_abs_) {
      worst_index_ = index;
      worst_abs_ = worst;
      worst_got_ = got;
      worst_ref_ = ref;
    }
  }

  double error() const {
    if (nonfinite_ > 0 || mismatched_ > 0) return INFINITY;
    if (absolute_) return max_abs_;
    if (ref2_ > 0.0) return std::sqrt(diff2_ / ref2_);
    return checked_ > 0 ? std::sqrt(diff2_ / static_cast<double>(checked_)) : 0.0;  // all-zero reference: RMS
  }

  // "o: norm-wise relative error 1.2e-05; worst o[0,3,17,5]=0.125, reference 0.1250012"
  std::string describe() const {
    std::string s = name_ + (absolute_ ? ": max absolute error " : ": norm-wise relative error ");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g", error());
    s += buf;
    if (worst_index_ < 0) return s;
    s += "; worst " + name_ + "[";
    const std::vector<Index>& shape = out_->spec.shape;
    std::vector<Index> coords(shape.size());
    Index rest = worst_index_;
    for (std::size_t k = shape.size(); k-- > 0;) {
      coords[k] = rest % shape[k];
      rest /= shape[k];
    }
    for (std::size_t k = 0; k < coords.size(); ++k) s += (k ? "," : "") + std::to_string(coords[k]);
    std::snprintf(buf, sizeof buf, "]=%.9g, reference %.9g", worst_got_, worst_ref_);
    return s + buf;
  }

  Index checked() const { return checked_; }
  Index nonfinite() const { return nonfinite_; }

 private:
  std::string name_;
  const HostTensor* out_;
  bool absolute_;
  double diff2_ = 0.0, ref2_ = 0.0, max_abs_ = 0.0;
  Index checked_ = 0, nonfinite_ = 0, mismatched_ = 0;
  Index worst_index_ = -1;
  double worst_abs_ = 0.0, worst_got_ = 0.0, worst_ref_ = 0.0;
};

// Indices 0 .. n-1 when n <= kSampledRows; otherwise 0, n-1 and distinct
// seeded draws from 1 .. n-2, kSampledRows in all, ascending.
std::vector<Index> pick_rows(Index n, bool all, std::mt19937_64& rng) {
  std::vector<Index> rows;
  if (all || n <= kSampledRows) {
    for (Index i = 0; i < n; ++i) rows.push_back(i);
    return rows;
  }
  std::set<Index> chosen{0, n - 1};
  std::uniform_int_distribution<Index> inner(1, n - 2);
  while (static_cast<Index>(chosen.size()) < kSampledRows) chosen.insert(inner(rng));
  return {chosen.begin(), chosen.end()};
}

}  // namespace

std::string_view attention_pass_name(AttentionPass pass) {
  switch (pass) {
    case AttentionPass::kFwd: return "fwd";
    case AttentionPass::kBwd: return "bwd";
    case AttentionPass::kFwdBwd: return "fwdbwd";
  }
  return "?";
}

float AttentionProblem::default_scale(Index d) {
  return static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
}

AttentionProblem::AttentionProblem(const AttentionShape& shape, DType dtype, AttentionPass pass, bool scale_given)
    : shape_(shape), dtype_(dtype), pass_(pass), scale_given_(scale_given), pairs_(shape.attended_pairs()) {}

Expected<ProblemPtr> AttentionProblem::parse(const ProblemSpec& spec) {
  ParamReader r(spec);
  AttentionShape s;
  TB_ASSIGN_OR_RETURN(s.b, r.size("b", 1, kMaxSize));
  TB_ASSIGN_OR_RETURN(s.h, r.size("h", 1, kMaxSize));
  TB_ASSIGN_OR_RETURN(s.kvh, r.size("kvh", 1, kMaxSize, s.h));
  TB_ASSIGN_OR_RETURN(s.sq, r.size("sq", 1, kMaxSize));
  TB_ASSIGN_OR_RETURN(s.skv, r.size("skv", 1, kMaxSize, s.sq));
  TB_ASSIGN_OR_RETURN(s.d, r.size("d", 1, kMaxHeadDim));
  TB_ASSIGN_OR_RETURN(s.causal, r.flag("causal", false));
  TB_ASSIGN_OR_RETURN(const DType dtype, r.dtype("dtype", DType::kFp32));
  TB_ASSIGN_OR_RETURN(const std::string pass_text, r.choice("pass", {"fwd", "bwd", "fwdbwd"}, "fwd"));
  const bool scale_given = std::any_of(spec.params.begin(), spec.params.end(),
                                       [](const auto& kv) { return kv.first == "scale"; });
  TB_ASSIGN_OR_RETURN(const double scale, r.real("scale", kMinScale, kMaxScale, default_scale(s.d)));
  TB_RETURN_IF_ERROR(r.finish());
  if (dtype == DType::kFp8E4m3) {
    return bad_input("attention dtype 'fp8' is not supported: expected fp32, bf16 or fp16 (fp8 is a GEMM input type "
                     "here)");
  }

  const std::string h_kvh = "'h=" + std::to_string(s.h) + "' and 'kvh=" + std::to_string(s.kvh) + "'";
  if (s.kvh > s.h) {
    return bad_input(h_kvh + ": kvh exceeds h (each key/value head serves h/kvh >= 1 query heads)");
  }
  if (s.h % s.kvh != 0) {
    return bad_input(h_kvh + ": h is not a multiple of kvh (grouped-query attention needs h % kvh == 0)");
  }
  const double q_elements = static_cast<double>(s.b) * static_cast<double>(s.h) * static_cast<double>(s.sq) *
                            static_cast<double>(s.d);
  const double kv_elements = static_cast<double>(s.b) * static_cast<double>(s.kvh) * static_cast<double>(s.skv) *
                             static_cast<double>(s.d);
  if (std::max(q_elements, kv_elements) > kMaxTensorElements) {
    return bad_input("attention problem is too large: b*h*sq*d or b*kvh*skv*d exceeds 2^48 elements");
  }
  s.scale = static_cast<float>(scale);
  const AttentionPass pass = pass_text == "bwd"      ? AttentionPass::kBwd
                             : pass_text == "fwdbwd" ? AttentionPass::kFwdBwd
                                                     : AttentionPass::kFwd;
  return ProblemPtr(std::make_shared<AttentionProblem>(s, dtype, pass, scale_given));
}

std::string AttentionProblem::to_string() const {
  const AttentionShape& s = shape_;
  std::string out = "attention:b=" + std::to_string(s.b) + ",h=" + std::to_string(s.h) +
                    ",kvh=" + std::to_string(s.kvh) + ",sq=" + std::to_string(s.sq) +
                    ",skv=" + std::to_string(s.skv) + ",d=" + std::to_string(s.d) +
                    ",causal=" + (s.causal ? "1" : "0") + ",dtype=" + std::string(dtype_name(dtype_)) +
                    ",pass=" + std::string(attention_pass_name(pass_));
  if (scale_given_) {
    // %.9g prints the float exactly enough to read back the same float.
    char buf[32];
    std::snprintf(buf, sizeof buf, ",scale=%.9g", static_cast<double>(s.scale));
    out += buf;
  }
  return out;
}

double AttentionProblem::forward_flop() const {
  return 4.0 * static_cast<double>(shape_.b) * static_cast<double>(shape_.h) * static_cast<double>(pairs_) *
         static_cast<double>(shape_.d);
}

double AttentionProblem::flop() const {
  switch (pass_) {
    case AttentionPass::kFwd: return forward_flop();
    case AttentionPass::kBwd: return 2.5 * forward_flop();
    case AttentionPass::kFwdBwd: return 3.5 * forward_flop();
  }
  return 0.0;
}

double AttentionProblem::min_bytes() const {
  double bytes = 0.0;
  for (const TensorSpec& t : input_specs()) bytes += static_cast<double>(t.bytes());
  for (const TensorSpec& t : output_specs()) bytes += static_cast<double>(t.bytes());
  return bytes;
}

std::vector<TensorSpec> AttentionProblem::input_specs() const {
  const AttentionShape& s = shape_;
  const std::vector<Index> q_shape{s.b, s.h, s.sq, s.d}, kv_shape{s.b, s.kvh, s.skv, s.d};
  std::vector<TensorSpec> specs{{"q", dtype_, q_shape}, {"k", dtype_, kv_shape}, {"v", dtype_, kv_shape}};
  if (has_backward()) specs.push_back({"do", dtype_, q_shape});
  return specs;
}

std::vector<TensorSpec> AttentionProblem::output_specs() const {
  const AttentionShape& s = shape_;
  const std::vector<Index> q_shape{s.b, s.h, s.sq, s.d}, kv_shape{s.b, s.kvh, s.skv, s.d};
  std::vector<TensorSpec> specs;
  if (has_forward_outputs()) {
    specs.push_back({"o", dtype_, q_shape});
    specs.push_back({"lse", DType::kFp32, {s.b, s.h, s.sq}});
  }
  if (has_backward()) {
    specs.push_back({"dq", dtype_, q_shape});
    specs.push_back({"dk", dtype_, kv_shape});
    specs.push_back({"dv", dtype_, kv_shape});
  }
  return specs;
}

namespace {

// Each tensor has the dtype, shape and byte count of its spec, and there are as many tensors as specs.
bool tensors_match(const std::vector<HostTensor>& tensors, const std::vector<TensorSpec>& specs) {
  if (tensors.size() != specs.size()) return false;
  for (std::size_t t = 0; t < specs.size(); ++t) {
    const TensorSpec& got = tensors[t].spec;
    if (got.dtype != specs[t].dtype || got.shape != specs[t].shape || tensors[t].data.size() != at(specs[t].bytes())) {
      return false;
    }
  }
  return true;
}

// The (batch, kv head) groups verified: every one, or the first and one drawn from `rng`.
std::vector<Index> checked_groups(Index groups, bool all, std::mt19937_64& rng) {
  std::vector<Index> ids;
  if (all) {
    for (Index gi = 0; gi < groups; ++gi) ids.push_back(gi);
    return ids;
  }
  ids.push_back(0);
  if (groups > 1 && kSampledGroups > 1) ids.push_back(std::uniform_int_distribution<Index>(1, groups - 1)(rng));
  return ids;
}

}  // namespace

double AttentionProblem::tolerance(DType dtype) { return dtype == DType::kFp32 ? 1e-4 : 2e-2; }

Verification AttentionProblem::verify(const std::vector<HostTensor>& inputs, const std::vector<HostTensor>& outputs,
                                      std::uint64_t seed) const {
  const AttentionShape& s = shape_;
  Verification v;
  v.metric = "attention_normwise_rel";
  v.tolerance = tolerance(dtype_);
  const std::vector<TensorSpec> in_specs = input_specs(), out_specs = output_specs();
  for (const TensorSpec& t : out_specs) v.total += t.elements();

  if (!tensors_match(inputs, in_specs) || !tensors_match(outputs, out_specs)) {
    std::string expected;
    for (const TensorSpec& t : out_specs) expected += (expected.empty() ? "" : ", ") + t.name;
    v.detail = "backend returned outputs of the wrong count or shape (expected " + std::to_string(out_specs.size()) +
               " outputs: " + expected + ", got " + std::to_string(outputs.size()) + ")";
    v.max_error = INFINITY;
    return v;
  }

  const HostTensor& q = inputs[0];
  const HostTensor& k = inputs[1];
  const HostTensor& vv = inputs[2];
  const HostTensor* dout = has_backward() ? &inputs[3] : nullptr;

  // Output checks in output_specs() order.
  std::vector<TensorCheck> checks;
  std::size_t next = 0;
  TensorCheck* o_check = nullptr;
  TensorCheck* lse_check = nullptr;
  TensorCheck* dq_check = nullptr;
  TensorCheck* dk_check = nullptr;
  TensorCheck* dv_check = nullptr;
  checks.reserve(5);
  if (has_forward_outputs()) {
    o_check = &checks.emplace_back("o", outputs[next++], false);
    lse_check = &checks.emplace_back("lse", outputs[next++], true);
  }
  if (has_backward()) {
    dq_check = &checks.emplace_back("dq", outputs[next++], false);
    dk_check = &checks.emplace_back("dk", outputs[next++], false);
    dv_check = &checks.emplace_back("dv", outputs[next++], false);
  }

  // Which groups and rows: everything for small problems, else a seeded sample.
  const double unmasked_flop = 4.0 * static_cast<double>(s.b) * static_cast<double>(s.h) *
                               static_cast<double>(s.sq) * static_cast<double>(s.skv) * static_cast<double>(s.d);
  const bool all = unmasked_flop <= kFullCheckFlop;
  std::mt19937_64 rng(seed ^ 0xA77E4710ull);
  for (const Index gi : checked_groups(s.b * s.kvh, all, rng)) {
    const Index b = gi / s.kvh, hkv = gi % s.kvh;
    const AttentionGroup grp = attention_group(s, q, k, vv, dout, b, hkv);
    // The backward needs every row's lse and o (P and D for all query rows).
    AttentionGroupForward fwd;
    if (has_backward()) fwd = attention_group_forward(s, grp);

    for (Index g = 0; g < s.group(); ++g) {
      const Index hq = hkv * s.group() + g;
      for (const Index i : pick_rows(s.sq, all, rng)) {
        const AttentionRow row = has_backward() ? fwd.row(s, g, i) : attention_forward_row(s, grp, g, i);
        const Index row_index = (b * s.h + hq) * s.sq + i;  // in [b, h, sq]
        if (o_check != nullptr) {
          for (Index c = 0; c < s.d; ++c) o_check->compare(row_index * s.d + c, row.o[at(c)]);
          lse_check->compare(row_index, row.lse);
        }
        if (dq_check != nullptr) {
          const std::vector<double> dq = attention_dq_row(s, grp, g, i, row);
          for (Index c = 0; c < s.d; ++c) dq_check->compare(row_index * s.d + c, dq[at(c)]);
        }
      }
    }
    if (has_backward()) {
      for (const Index j : pick_rows(s.skv, all, rng)) {
        const AttentionKeyGrad kg = attention_dkdv_row(s, grp, fwd, j);
        const Index key_index = (b * s.kvh + hkv) * s.skv + j;  // in [b, kvh, skv]
        for (Index c = 0; c < s.d; ++c) {
          dk_check->compare(key_index * s.d + c, kg.dk[at(c)]);
          dv_check->compare(key_index * s.d + c, kg.dv[at(c)]);
        }
      }
    }
  }

  const TensorCheck* worst = &checks.front();
  v.max_error = 0.0;
  for (const TensorCheck& c : checks) {
    v.checked += c.checked();
    v.nonfinite += c.nonfinite();
    if (c.error() > v.max_error) {
      v.max_error = c.error();
      worst = &c;
    }
  }
  v.passed = v.nonfinite == 0 && v.max_error <= v.tolerance;
  v.detail = "worst tensor " + worst->describe();
  if (v.nonfinite > 0) v.detail += "; " + std::to_string(v.nonfinite) + " checked elements are NaN or infinite";
  return v;
}

}  // namespace tb
