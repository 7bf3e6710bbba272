#include "model/training_memory.h"

#include <algorithm>

#include "model/step_decomposition.h"

namespace tb {
namespace {

constexpr double kWeightBytes = 2.0;     // bf16/fp16 weight per parameter
constexpr double kGradientBytes = 2.0;   // bf16/fp16 gradient per parameter
constexpr double kOptimizerBytes = 12.0;  // fp32 master weight + two fp32 Adam moments
constexpr double kLogitBytes = 4.0;       // fp32 logits for the loss

}  // namespace

double stage_parameters(const ModelConfig& model, const TrainingPlan& plan) {
  const ParameterCount p = model.parameters();
  const double d = static_cast<double>(model.hidden);
  const double vocab_rows = static_cast<double>((model.vocab + plan.tp - 1) / plan.tp);
  const double layer_matmul = static_cast<double>(p.matmul) - static_cast<double>(model.vocab) * d;
  const double norms = static_cast<double>(p.non_embedding) - layer_matmul;
  const double share = static_cast<double>(layers_per_stage(model, plan)) / static_cast<double>(model.layers);
  const double embeddings = (plan.pp == 1 && !model.tie_embeddings) ? 2.0 : 1.0;
  return share * (layer_matmul / static_cast<double>(plan.tp) + norms) + embeddings * vocab_rows * d;
}

double activation_bytes_per_layer(const ModelConfig& model, const TrainingPlan& plan) {
  const double a = static_cast<double>(dtype_size(plan.dtype));
  const double tokens = static_cast<double>(plan.tokens_per_micro_batch());
  const double h = static_cast<double>(model.hidden);
  const double tp = static_cast<double>(plan.tp);
  if (plan.recompute == Recompute::kFull) return tokens * h / tp * a;
  // K and V heads held per device, times tp (replicated when tp > kv_heads).
  const double kv = static_cast<double>(std::max(model.kv_heads, plan.tp) * model.head_dim());
  const double f = static_cast<double>(model.ffn);
  // input, norm 1 out, attention out, residual, norm 2 out: 5 [T, h]; Q, K, V: h + 2 kv.
  const double attention_and_norms = 5 * h + (h + 2 * kv);
  const double mlp = model.mlp == MlpKind::kGated ? 3 * f : 2 * f;  // gate, up, product | pre- and post-activation
  return tokens * (attention_and_norms + mlp) / tp * a;
}

TrainingMemory training_memory(const ModelConfig& model, const TrainingPlan& plan) {
  TrainingMemory m;
  const double dp = static_cast<double>(plan.dp * plan.cp);  // ZeRO shards over the replicas of a weight
  m.stage_parameters = stage_parameters(model, plan);
  m.weights_bytes = m.stage_parameters * kWeightBytes / (plan.zero >= 3 ? dp : 1.0);
  m.gradients_bytes = m.stage_parameters * kGradientBytes / (plan.zero >= 2 ? dp : 1.0);
  m.optimizer_bytes = m.stage_parameters * kOptimizerBytes / (plan.zero >= 1 ? dp : 1.0);
  // 1F1B: the first stage keeps the activations of min(m, pp) micro-batches;
  // interleaving adds (pp - 1) / (pp x vpp) of that (Narayanan et al. 2021).
  const double pp = static_cast<double>(plan.pp);
  m.in_flight = plan.pp == 1 ? 1.0 : std::min(static_cast<double>(plan.micro_batches()), pp);
  if (plan.vpp > 1) m.in_flight *= 1.0 + (pp - 1.0) / (pp * static_cast<double>(plan.vpp));
  m.activations_bytes = activation_bytes_per_layer(model, plan) * static_cast<double>(layers_per_stage(model, plan)) *
                        m.in_flight;
  const double vocab_rows = static_cast<double>((model.vocab + plan.tp - 1) / plan.tp);
  m.logits_bytes = static_cast<double>(plan.tokens_per_micro_batch()) * vocab_rows * kLogitBytes;
  return m;
}

}  // namespace tb
