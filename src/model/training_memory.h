// Memory one device needs to train under a TrainingPlan (docs/cost.md,
// "Memory per device"): its stage's weights, gradients and Adam state with
// mixed precision (2 + 2 + 12 bytes per parameter, Rajbhandari et al. 2020,
// "ZeRO"), sharded over dp by the ZeRO stage; the activations its pipeline
// stage keeps for the backward, for every micro-batch in flight; and the fp32
// logits of the loss. Framework workspace, allocator fragmentation and
// communication buffers are not counted, so a configuration within a few GiB
// of the capacity may still not fit.
#pragma once

#include "model/training_plan.h"

namespace tb {

struct TrainingMemory {
  double stage_parameters = 0;  // parameters of the device's shard of its stage, before ZeRO (count)
  double weights_bytes = 0;     // dtype weights (B)
  double gradients_bytes = 0;   // dtype gradients (B)
  double optimizer_bytes = 0;   // fp32 master weights and two moments (B)
  double activations_bytes = 0; // kept for the backward, all micro-batches in flight (B)
  double logits_bytes = 0;      // fp32 logits of one micro-batch on the last stage (B)
  double in_flight = 1;         // micro-batches whose activations the first stage keeps at once
  double total_bytes() const {
    return weights_bytes + gradients_bytes + optimizer_bytes + activations_bytes + logits_bytes;
  }
};

// Parameters one device holds of the largest pipeline stage: layers / pp
// layers' tensor-parallel shards and norms, plus its vocabulary shard of the
// embedding (first stage) or LM head (last stage); with pp = 1 and untied
// embeddings, both. Assumes resolve_plan(model, plan) succeeded.
double stage_parameters(const ModelConfig& model, const TrainingPlan& plan);

// Activation bytes one layer keeps per micro-batch on one device: with
// recompute none or selective, the layer input, both norm outputs, Q, K, V,
// the attention output, the residual, the MLP's gate/up outputs and its
// activation output (flash attention keeps no score matrix, so selective
// recompute keeps the same); with full recompute, the layer input only.
double activation_bytes_per_layer(const ModelConfig& model, const TrainingPlan& plan);

TrainingMemory training_memory(const ModelConfig& model, const TrainingPlan& plan);

}  // namespace tb
