#include "model/step_decomposition.h"

#include <algorithm>
#include <string_view>

#include "kernels/allreduce/allreduce_problem.h"
#include "kernels/attention/attention_problem.h"
#include "kernels/gemm/gemm_problem.h"

namespace tb {
namespace {

class Builder {
 public:
  explicit Builder(std::vector<StepItem>& items) : items_(items) {}

  void add(const Problem& p, std::string_view phase, std::string_view what, std::int64_t count,
           std::int64_t bytes = 0) {
    const std::string problem = p.to_string();
    const double flop = p.collective() ? 0.0 : p.flop();  // a collective's reductions are no model FLOP
    for (StepItem& item : items_) {
      if (item.phase == phase && item.problem == problem) {
        item.count += count;
        if (("+" + item.what + "+").find("+" + std::string(what) + "+") == std::string::npos)
          item.what += "+" + std::string(what);
        return;
      }
    }
    items_.push_back(StepItem{std::string(p.kernel()), std::string(phase), std::string(what), problem, count, flop,
                              p.min_bytes(), bytes});
  }

  // A linear layer Y[T,out] = X[T,in] W[in,out], W stored [in,out] row-major:
  // forward, dX = dY W^T (W read transposed), dW = X^T dY (X read transposed).
  void linear(std::int64_t tokens, std::int64_t in, std::int64_t out, DType dtype, std::string_view what,
              std::int64_t count) {
    add(GemmProblem(tokens, out, in, false, false, dtype), "fwd", what, count);
    add(GemmProblem(tokens, in, out, false, true, dtype), "bwd-data", what, count);
    add(GemmProblem(in, out, tokens, true, false, dtype), "bwd-weight", what, count);
  }

 private:
  std::vector<StepItem>& items_;
};

// Vocabulary-parallel embedding and LM head: each device holds ceil(vocab / tp)
// rows (the last shard padded, as Megatron pads the vocabulary).
std::int64_t local_vocab(const ModelConfig& model, const RunSettings& run) {
  return (model.vocab + run.tp - 1) / run.tp;
}

}  // namespace

std::int64_t local_parameters(const ModelConfig& model, const RunSettings& run) {
  const ParameterCount p = model.parameters();
  const std::int64_t d = model.hidden;
  const std::int64_t embed_local = local_vocab(model, run) * d;
  const std::int64_t sharded_layers = (p.matmul - model.vocab * d) / run.tp;
  const std::int64_t norms = p.non_embedding - (p.matmul - model.vocab * d);
  return sharded_layers + norms + (model.tie_embeddings ? embed_local : 2 * embed_local);
}

double StepDecomposition::device_flop() const {
  double sum = 0;
  for (const StepItem& item : items) sum += static_cast<double>(item.count) * item.flop;
  return sum;
}

double StepDecomposition::flop(std::string_view kernel) const {
  double sum = 0;
  for (const StepItem& item : items)
    if (item.kernel == kernel) sum += static_cast<double>(item.count) * item.flop;
  return sum;
}

double StepDecomposition::flop_per_token() const {
  return tokens > 0 ? device_flop() * static_cast<double>(run.tp) / static_cast<double>(tokens) : 0.0;
}

std::int64_t StepDecomposition::comm_bytes(std::string_view phase) const {
  std::int64_t sum = 0;
  for (const StepItem& item : items)
    if (item.phase == phase) sum += item.count * item.bytes;
  return sum;
}

double analytic_flop_per_token(const ModelConfig& m, std::int64_t seq_len) {
  return 6.0 * static_cast<double>(m.parameters().matmul) +
         12.0 * static_cast<double>(m.layers * m.hidden) * static_cast<double>(seq_len) / 2.0;
}

Expected<StepDecomposition> decompose(const ModelConfig& model, const RunSettings& run_in) {
  RunSettings run = run_in;
  if (run.seq_len == 0) run.seq_len = model.seq_len;
  TB_RETURN_IF_ERROR(validate(model, run));

  StepDecomposition step;
  step.model = model;
  step.run = run;
  const std::int64_t T = run.micro_batch * run.seq_len;
  step.tokens = T;
  const std::int64_t L = model.layers;
  const std::int64_t d = model.hidden;
  const std::int64_t hd = model.head_dim();
  const std::int64_t h_local = model.heads / run.tp;
  const std::int64_t kvh_local = std::max<std::int64_t>(1, model.kv_heads / run.tp);  // replicated when tp > kv_heads
  const std::int64_t ffn_local = model.ffn / run.tp;
  const std::int64_t vocab_local = local_vocab(model, run);
  const DType dt = run.dtype;

  Builder b(step.items);
  // Forward order, then backward; merging keeps the first appearance.
  b.linear(T, d, (h_local + 2 * kvh_local) * hd, dt, "qkv", L);

  AttentionShape shape;
  shape.b = run.micro_batch;
  shape.h = h_local;
  shape.kvh = kvh_local;
  shape.sq = run.seq_len;
  shape.skv = run.seq_len;
  shape.d = hd;
  shape.causal = true;
  shape.scale = AttentionProblem::default_scale(hd);
  b.add(AttentionProblem(shape, dt, AttentionPass::kFwd, false), "fwd", "attention", L);
  b.add(AttentionProblem(shape, dt, AttentionPass::kBwd, false), "bwd-data", "attention", L);

  b.linear(T, h_local * hd, d, dt, "attn-out", L);
  if (model.mlp == MlpKind::kGated) {
    b.linear(T, d, 2 * ffn_local, dt, "mlp-gate-up", L);
  } else {
    b.linear(T, d, ffn_local, dt, "mlp-up", L);
  }
  b.linear(T, ffn_local, d, dt, "mlp-down", L);
  b.linear(T, d, vocab_local, dt, "lm-head", 1);

  if (run.tp > 1) {
    // Megatron: forward all-reduces after the attention output projection and
    // after the MLP down projection; backward all-reduces the input gradients
    // of the QKV projection and of the first MLP GEMM.
    const std::int64_t bytes = T * d * static_cast<std::int64_t>(dtype_size(dt));
    const AllreduceProblem ar(bytes, dt, ReduceOp::kSum, static_cast<int>(run.tp), true, AllreduceAlgo::kRing,
                              AllreduceTransport::kThreads);
    b.add(ar, "tp-comm", "activations", 4 * L, bytes);
  }
  if (run.dp > 1) {
    // One all-reduce of this device's gradients: its weight shards plus the
    // replicated norms.
    const std::int64_t bytes = local_parameters(model, run) * static_cast<std::int64_t>(dtype_size(run.grad_dtype));
    const AllreduceProblem ar(bytes, run.grad_dtype, ReduceOp::kSum, static_cast<int>(run.dp), true,
                              AllreduceAlgo::kRing, AllreduceTransport::kThreads);
    b.add(ar, "dp-comm", "gradients", 1, bytes);
  }
  // Group by phase for reading: forward, backward, communication (stable).
  const auto rank = [](const std::string& phase) {
    static const std::string_view order[] = {"fwd", "bwd-data", "bwd-weight", "tp-comm", "dp-comm"};
    return std::find(std::begin(order), std::end(order), phase) - std::begin(order);
  };
  std::stable_sort(step.items.begin(), step.items.end(),
                   [&](const StepItem& a, const StepItem& c) { return rank(a.phase) < rank(c.phase); });
  return step;
}

}  // namespace tb
