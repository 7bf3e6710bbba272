// One device's training step of a dense transformer as a list of kernel
// problems (docs/models.md, "Step decomposition"): per layer, at
// tensor-parallel-sharded shapes with T = micro_batch * seq_len tokens, the
// QKV projection, the attention output projection and the MLP GEMMs (forward
// and the two backward GEMMs each), causal attention forward and backward with
// the local heads, the LM head; tensor-parallel activation all-reduces when
// tp > 1, and the data-parallel gradient all-reduce when dp > 1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "model/model_config.h"

namespace tb {

struct StepItem {
  std::string kernel;   // "gemm", "attention", "allreduce"
  std::string phase;    // "fwd", "bwd-data", "bwd-weight", "tp-comm", "dp-comm"
  std::string what;     // which layer part(s), e.g. "qkv", "mlp-down"; merged items join with '+'
  std::string problem;  // canonical problem string (tb::parse_problem accepts it and round-trips)
  std::int64_t count = 0;  // executions per step on one device
  // Model FLOP of one execution (Problem::flop() of gemm and attention); 0 for
  // all-reduce, whose reductions are not model FLOP.
  double flop = 0;
  double min_bytes = 0;    // Problem::min_bytes() of one execution: the memory traffic a roofline charges (B)
  std::int64_t bytes = 0;  // all-reduce: bytes per rank (0 for compute kernels)
};

struct StepDecomposition {
  ModelConfig model;
  RunSettings run;       // seq_len resolved (never 0)
  std::int64_t tokens = 0;  // T = micro_batch * seq_len: tokens one tensor-parallel group processes per step
  std::vector<StepItem> items;  // in execution order of first appearance; identical (phase, problem) merged

  double device_flop() const;             // sum of count * flop over items: one device, one step
  double flop(std::string_view kernel) const;  // the same, for one kernel class
  // Model FLOP per token: device_flop() * tp / tokens (the tp devices of a
  // group share the step's T tokens; data-parallel replicas repeat it).
  double flop_per_token() const;
  std::int64_t comm_bytes(std::string_view phase) const;  // sum of count * bytes for "tp-comm" or "dp-comm"
};

// Parameters one device holds (and whose gradients it all-reduces across
// data-parallel replicas) under tensor parallelism: its 1/tp shard of every
// layer weight matrix, the replicated norms, and its ceil(vocab / tp) rows of
// the input embedding and (when untied) of the LM head. Equals
// model.parameters().total when run.tp == 1. Assumes validate(model, run).
std::int64_t local_parameters(const ModelConfig& model, const RunSettings& run);

// The analytic estimate (6N + 12 L d S, PaLM's appendix B) with causal
// halving: 6 N + 12 L d_model S / 2 FLOP per token, N = ParameterCount::matmul
// (docs/models.md states the convention). The decomposition agrees within 3%.
double analytic_flop_per_token(const ModelConfig& model, std::int64_t seq_len);

// Validates (validate()) and decomposes. `run.seq_len` 0 means the model's.
Expected<StepDecomposition> decompose(const ModelConfig& model, const RunSettings& run);

// The model's own defaults.
inline Expected<StepDecomposition> decompose(const ModelConfig& model) { return decompose(model, model.defaults); }

}  // namespace tb
