#include "model/memory_bound_ops.h"

#include <algorithm>

namespace tb {
namespace {

constexpr double kFp32Bytes = 4.0;

}  // namespace

double adam_bytes_per_parameter(const TrainingPlan& plan) {
  const double grad = static_cast<double>(dtype_size(plan.grad_dtype));
  const double weight = static_cast<double>(dtype_size(plan.dtype));
  return grad + 3 * kFp32Bytes /* read master, m, v */ + 3 * kFp32Bytes /* write them */ + weight /* the copy */;
}

std::vector<MemoryBoundOp> memory_bound_ops(const ModelConfig& model, const TrainingPlan& plan,
                                            double stage_parameters) {
  const double a = static_cast<double>(dtype_size(plan.dtype));
  const double tp = static_cast<double>(plan.tp);
  const double tokens = static_cast<double>(plan.tokens_per_micro_batch());
  const double h = static_cast<double>(model.hidden);
  const double hd = static_cast<double>(model.head_dim());
  const double ffn_local = static_cast<double>(model.ffn) / tp;
  const double vocab_local = static_cast<double>((model.vocab + plan.tp - 1) / plan.tp);
  const double hidden_elems = tokens * h / tp;  // a [T, h] tensor, sequence-parallel
  const double kv_local = static_cast<double>(std::max<std::int64_t>(1, model.kv_heads / plan.tp));  // replicated past kv_heads
  const double rope_elems = tokens * (static_cast<double>(model.heads) / tp + kv_local) * hd;
  const double ffn_elems = tokens * ffn_local;
  const std::int64_t L = layers_per_stage(model, plan);

  std::vector<MemoryBoundOp> ops;
  // RMSNorm: read x, write y; backward reads x and dy, writes dx.
  ops.push_back({"rmsnorm", "fwd", 2 * hidden_elems * a, 2 * L});
  ops.push_back({"rmsnorm", "bwd", 3 * hidden_elems * a, 2 * L});
  // Residual add: read two, write one; backward adds the two gradient branches.
  ops.push_back({"residual", "fwd", 3 * hidden_elems * a, 2 * L});
  ops.push_back({"residual", "bwd", 3 * hidden_elems * a, 2 * L});
  // RoPE on the local query and key heads: read and write each.
  ops.push_back({"rope", "fwd", 2 * rope_elems * a, L});
  ops.push_back({"rope", "bwd", 2 * rope_elems * a, L});
  if (model.mlp == MlpKind::kGated) {
    // SwiGLU: read gate and up, write their product; backward reads both and
    // the output gradient, writes two input gradients.
    ops.push_back({"swiglu", "fwd", 3 * ffn_elems * a, L});
    ops.push_back({"swiglu", "bwd", 5 * ffn_elems * a, L});
  } else {
    ops.push_back({"gelu", "fwd", 2 * ffn_elems * a, L});
    ops.push_back({"gelu", "bwd", 3 * ffn_elems * a, L});
  }
  // Softmax cross-entropy over the local vocabulary: the forward reads the
  // logits twice (max, then exp-sum) and writes fp32 probabilities; the
  // backward reads them and writes the logits' gradient.
  const double logits = tokens * vocab_local;
  ops.push_back({"cross-entropy", "fwd", logits * (2 * a + kFp32Bytes), 1});
  ops.push_back({"cross-entropy", "bwd", logits * (kFp32Bytes + a), 1});
  if (plan.pp == 1) {
    // Embedding gather, and its backward scatter-add into fp32 gradient rows.
    ops.push_back({"embedding", "fwd", 2 * tokens * h * a, 1});
    ops.push_back({"embedding", "bwd", tokens * h * (a + 2 * kFp32Bytes), 1});
  }
  const double shard = plan.zero >= 1 ? static_cast<double>(plan.dp * plan.cp) : 1.0;
  ops.push_back({"adam", "step", stage_parameters / shard * adam_bytes_per_parameter(plan), 1});
  return ops;
}

}  // namespace tb
