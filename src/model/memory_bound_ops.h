// The memory-bound operations of one device's training step that the GEMM
// and attention items of a StepDecomposition leave out, as byte counts for a
// bandwidth roofline (docs/cost.md, "Memory-bound operations"): per layer the
// two RMSNorms, the two residual adds, RoPE on queries and keys, the SwiGLU
// (or GELU) activation, forward and backward; per micro-batch the softmax
// cross-entropy over the (tensor-parallel) vocabulary and the embedding
// gather; per step the Adam update with fp32 master weights.
//
// Tensors whose first dimension is the token count are sharded over tp
// (Megatron's sequence parallelism); head- and ffn-sized ones hold the local
// heads and ffn columns. Elements are dtype_size(dtype) bytes; the optimizer's
// state is fp32.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/training_plan.h"

namespace tb {

struct MemoryBoundOp {
  std::string what;   // "rmsnorm", "residual", "rope", "swiglu", "gelu", "cross-entropy", "embedding", "adam"
  std::string phase;  // "fwd", "bwd" (per micro-batch), "step" (once per optimizer step)
  double bytes = 0;   // read + written by one execution (B)
  std::int64_t count = 0;  // executions per micro-batch ("fwd", "bwd") or per step ("step")
};

// Bytes of the Adam update per parameter: read gradient (grad_dtype), fp32
// master weight and two fp32 moments; write them back and the dtype copy.
double adam_bytes_per_parameter(const TrainingPlan& plan);

// The memory-bound operations of one device of the last pipeline stage (it
// holds the LM head and the loss; with pp = 1 it also holds the embedding):
// layers_per_stage(model, plan) layers. `stage_parameters` is the parameter
// count the device updates (before ZeRO sharding), for the optimizer.
// Assumes resolve_plan(model, plan) succeeded.
std::vector<MemoryBoundOp> memory_bound_ops(const ModelConfig& model, const TrainingPlan& plan,
                                            double stage_parameters);

}  // namespace tb
