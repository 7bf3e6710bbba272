// A whole training job projected onto an instance type that is not at hand
// (`trainbench project`, `trainbench validate`; docs/cost.md, "Projecting a
// training job"). One device of the last pipeline stage is modelled:
//
//   per micro-batch  t_mb = forward + backward (GEMMs and attention from the
//                    roofline, memory-bound operations from their bytes)
//                    + recomputation + tensor-parallel all-reduces
//                    + exposed context-parallel K/V exchange
//                    + pipeline sends (2 x vpp per micro-batch)
//   pipeline         m x t_mb + bubble, bubble = (pp - 1) / vpp x t_mb,
//                    m = global / (dp x micro) micro-batches (gradient accumulation)
//   data parallel    once per step: ZeRO 0 all-reduces the gradients; 1 and 2
//                    reduce-scatter them and all-gather the updated weights; the
//                    reduction overlaps the last micro-batch's backward and the
//                    all-gather the first one's forward, only what exceeds them
//                    is exposed. ZeRO 3 all-gathers the weights before the
//                    forward and the backward and reduce-scatters the gradients
//                    in every micro-batch, overlapped with that micro-batch's
//                    compute (exposed: what exceeds it).
//   step             pipeline + exposed data-parallel time + the Adam update
//
// A device of a context-parallel group holds seq / cp tokens of each sequence
// and an even share of its (causal) attention. Instances are filled tp first,
// then cp, then pp, then dp; tp must fit in one instance. Gradients are
// reduced, and ZeRO shards, over the dp x cp replicas of each weight.
#pragma once

#include <optional>
#include <string>

#include "catalog/efficiency.h"
#include "common/error.h"
#include "cost/step_projection.h"
#include "model/training_memory.h"
#include "model/training_plan.h"

namespace tb {

struct TrainingTime {
  // One micro-batch on one device (s).
  double gemm_s = 0, attention_s = 0, elementwise_s = 0;  // forward + backward
  double forward_s = 0, backward_s = 0;                   // the same split by phase
  double recompute_s = 0;
  double tp_comm_s = 0;
  double cp_comm_s = 0;        // the context-parallel K/V exchange not hidden behind the attention
  double pp_comm_s = 0;
  double micro_batch_s = 0;
  // One step (s).
  std::int64_t micro_batches = 0;
  double bubble_s = 0;
  double pipeline_s = 0;       // m x micro_batch_s + bubble_s
  double dp_comm_s = 0;        // the data-parallel (or ZeRO-3) communication of the step, whole
  double dp_exposed_s = 0;     // the part not overlapped
  double optimizer_s = 0;
  double step_s = 0;
};

struct TrainingProjection {
  TrainingPlan plan;            // resolved
  std::string target;           // the instance
  std::string device_class;
  std::int64_t instances = 0;   // devices / devices per instance (rounded up)
  TrainingTime time;
  TrainingMemory memory;
  double memory_capacity_bytes = 0;  // per device (B); 0 = unknown
  bool fits_in_memory = true;        // memory.total_bytes() <= capacity (true when unknown)
  double tokens_per_s_per_device = 0;
  double flop_per_token = 0;           // trainbench's count: the step decomposition's (causal attention)
  double flop_per_token_6n_12lds = 0;  // 6 N + 12 L d S, N = matmul parameters (NeMo, Megatron, MaxText)
  double mfu = 0;                      // flop_per_token x tokens/s/device / peak
  double mfu_6n_12lds = 0;
  double peak_flop_per_s = 0;          // per device, for the plan's dtype
};

// The plan of a step as `run --model` measures it: the run's tp and dp, one
// micro-batch per step, no pipeline, ZeRO or recomputation.
TrainingPlan single_micro_batch_plan(const RunSettings& run);

// The memory-bound operations (model/memory_bound_ops.h) of one micro-batch
// and the optimizer update of one step, projected on `target` with its
// "elementwise" efficiency row (s). `plan` resolved.
struct MemoryBoundTime {
  double forward_s = 0, backward_s = 0;  // per micro-batch
  double recompute_s = 0;                // per micro-batch: the forward part again under full recomputation
  double optimizer_s = 0;                // per step
};
Expected<MemoryBoundTime> project_memory_bound(const ModelConfig& model, const TrainingPlan& plan,
                                               double stage_parameters, const ProjectionTarget& target,
                                               const EfficiencyTable& efficiency);

// The 6N + 12 L d S FLOP per token (N: ParameterCount::matmul; S: sequence length).
double flop_per_token_6n_12lds(const ModelConfig& model, std::int64_t seq_len);

// Projects `plan` (resolve_plan is applied first) for `model` on `target`.
// kBadInput naming the value: tp larger than an instance's devices, devices
// not filling whole instances' worth of a stage layout, or a missing catalog
// figure or efficiency row.
Expected<TrainingProjection> project_training(const ModelConfig& model, const TrainingPlan& plan,
                                              const ProjectionTarget& target, const EfficiencyTable& efficiency);

}  // namespace tb
