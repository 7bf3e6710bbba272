#include "cost/training_projection.h"

#include <algorithm>
#include <numeric>

#include "cost/collective_model.h"
#include "cost/cost.h"
#include "kernels/kernel_registry.h"
#include "model/memory_bound_ops.h"
#include "model/step_decomposition.h"

namespace tb {
namespace {

// Where the ranks of each group sit, instances filled tp first, then cp,
// then pp, then dp.
struct Placement {
  std::int64_t replicas_per_instance = 1;  // ranks of a weight's dp x cp replica group inside one instance
  std::int64_t cp_per_instance = 1;        // ranks of a context-parallel group inside one instance
  bool stages_cross_instances = false;     // a pipeline boundary crosses instances
};

Expected<Placement> place(const TrainingPlan& plan, const ProjectionTarget& target) {
  const std::int64_t k = target.devices_per_instance;
  if (plan.tp > k) {
    return bad_input("--tp " + std::to_string(plan.tp) + " is more than the " + std::to_string(k) + " devices of one " +
                     target.label + ": expected tensor parallelism inside one instance (tp <= " + std::to_string(k) +
                     ")");
  }
  Placement p;
  p.cp_per_instance = std::gcd(plan.cp, k / plan.tp);
  p.stages_cross_instances = plan.tp * plan.cp * plan.pp > k;
  p.replicas_per_instance = p.cp_per_instance;
  if (!p.stages_cross_instances) {
    p.replicas_per_instance = plan.cp * std::gcd(plan.dp, k / (plan.tp * plan.cp * plan.pp));
  }
  return p;
}

// Per-micro-batch compute and tensor-parallel time of the last stage's items.
// `stage` holds the device's seq_len / cp tokens; with cp > 1 its attention
// items are replaced by `whole_sequence`'s (the full sequence's attention,
// which the cp devices share evenly: causal load balancing), divided by cp.
Status add_kernel_items(const StepDecomposition& stage, const StepDecomposition& whole_sequence,
                        const TrainingPlan& plan, const ProjectionTarget& target, const EfficiencyTable& efficiency,
                        const LinkRows& links, TrainingTime& t) {
  double attention_forward = 0, forward_tp = 0;
  std::vector<std::pair<const StepItem*, double>> items;  // item, executions per micro-batch
  for (const StepItem& item : stage.items) {
    if (item.kernel != "attention" || plan.cp == 1) items.emplace_back(&item, static_cast<double>(item.count));
  }
  if (plan.cp > 1) {
    for (const StepItem& item : whole_sequence.items) {
      if (item.kernel == "attention") items.emplace_back(&item, static_cast<double>(item.count) / plan.cp);
    }
  }
  for (const auto& [item_ptr, count] : items) {
    const StepItem& item = *item_ptr;
    const KernelInfo* kernel = find_kernel(item.kernel);
    if (kernel != nullptr && kernel->collective) {
      TB_ASSIGN_OR_RETURN(const double s, collective_time_s(CollectiveKind::kAllReduce, static_cast<double>(item.bytes),
                                                            plan.tp, plan.tp, target, links));
      t.tp_comm_s += count * s;
      continue;
    }
    TB_ASSIGN_OR_RETURN(const EfficiencyRow row, efficiency.find(target.device_class, item.kernel));
    TB_ASSIGN_OR_RETURN(const ItemProjection p, project_kernel(item.flop, item.min_bytes, target, row));
    const double s = count * p.seconds;
    (item.kernel == "attention" ? t.attention_s : t.gemm_s) += s;
    (item.phase == "fwd" ? t.forward_s : t.backward_s) += s;
    if (item.phase == "fwd" && item.kernel == "attention") attention_forward += s;
  }
  forward_tp = t.tp_comm_s / 2;  // two of the four all-reduces per layer are in the forward
  if (plan.recompute == Recompute::kSelective) t.recompute_s += attention_forward;
  if (plan.recompute == Recompute::kFull) t.recompute_s += t.forward_s + forward_tp;
  return {};
}

// The data-parallel communication of one step and the part of it exposed.
Status add_data_parallel(const TrainingPlan& plan, const TrainingMemory& memory, const Placement& placement,
                         const ProjectionTarget& target, const LinkRows& links, TrainingTime& t) {
  const double grads = memory.stage_parameters * static_cast<double>(dtype_size(plan.grad_dtype));
  const double weights = memory.stage_parameters * static_cast<double>(dtype_size(plan.dtype));
  // The gradients of a weight are reduced over all its replicas: dp x cp ranks.
  const auto collective = [&](CollectiveKind kind, double bytes) {
    return collective_time_s(kind, bytes, plan.dp * plan.cp, placement.replicas_per_instance, target, links);
  };
  if (plan.zero == 0) {
    TB_ASSIGN_OR_RETURN(const double reduce, collective(CollectiveKind::kAllReduce, grads));
    t.dp_comm_s = reduce;
    t.dp_exposed_s = std::max(0.0, reduce - t.backward_s);
  } else if (plan.zero <= 2) {
    TB_ASSIGN_OR_RETURN(const double reduce, collective(CollectiveKind::kReduceScatter, grads));
    TB_ASSIGN_OR_RETURN(const double gather, collective(CollectiveKind::kAllGather, weights));
    t.dp_comm_s = reduce + gather;
    t.dp_exposed_s = std::max(0.0, reduce - t.backward_s) + std::max(0.0, gather - t.forward_s);
  } else {
    TB_ASSIGN_OR_RETURN(const double reduce, collective(CollectiveKind::kReduceScatter, grads));
    TB_ASSIGN_OR_RETURN(const double gather, collective(CollectiveKind::kAllGather, weights));
    const double per_micro_batch = 2 * gather + reduce;
    const double m = static_cast<double>(t.micro_batches);
    t.dp_comm_s = m * per_micro_batch;
    t.dp_exposed_s = m * std::max(0.0, per_micro_batch - (t.forward_s + t.backward_s));
  }
  return {};
}

}  // namespace

TrainingPlan single_micro_batch_plan(const RunSettings& run) {
  TrainingPlan plan;
  plan.tp = run.tp;
  plan.dp = run.dp;
  plan.devices = run.tp * run.dp;
  plan.micro_batch = run.micro_batch;
  plan.global_batch = run.dp * run.micro_batch;
  plan.seq_len = run.seq_len;
  plan.dtype = run.dtype;
  plan.grad_dtype = run.grad_dtype;
  return plan;
}

Expected<MemoryBoundTime> project_memory_bound(const ModelConfig& model, const TrainingPlan& plan,
                                               double stage_parameters, const ProjectionTarget& target,
                                               const EfficiencyTable& efficiency) {
  TB_ASSIGN_OR_RETURN(const EfficiencyRow row, efficiency.find(target.device_class, kElementwiseOp));
  MemoryBoundTime t;
  for (const MemoryBoundOp& op : memory_bound_ops(model, plan, stage_parameters)) {
    TB_ASSIGN_OR_RETURN(const ItemProjection p, project_kernel(0.0, op.bytes, target, row));
    const double s = static_cast<double>(op.count) * p.seconds;
    if (op.phase == "step") {
      t.optimizer_s += s;
    } else if (op.phase == "fwd") {
      t.forward_s += s;
      if (plan.recompute == Recompute::kFull) t.recompute_s += s;
    } else {
      t.backward_s += s;
    }
  }
  return t;
}

double flop_per_token_6n_12lds(const ModelConfig& model, std::int64_t seq_len) {
  return 6.0 * static_cast<double>(model.parameters().matmul) +
         12.0 * static_cast<double>(model.layers) * static_cast<double>(model.hidden) * static_cast<double>(seq_len);
}

Expected<TrainingProjection> project_training(const ModelConfig& model, const TrainingPlan& plan_in,
                                              const ProjectionTarget& target, const EfficiencyTable& efficiency) {
  TB_ASSIGN_OR_RETURN(const TrainingPlan plan, resolve_plan(model, plan_in));
  TB_ASSIGN_OR_RETURN(const Placement placement, place(plan, target));
  TB_ASSIGN_OR_RETURN(const LinkRows links, link_rows(target, efficiency));
  TrainingProjection out;
  out.plan = plan;
  out.target = target.label;
  out.device_class = target.device_class;
  out.instances = whole_instances(plan.devices, target.devices_per_instance);
  out.memory = training_memory(model, plan);

  ModelConfig stage_model = model;
  stage_model.layers = layers_per_stage(model, plan);
  TB_ASSIGN_OR_RETURN(const StepDecomposition stage, decompose(stage_model, micro_batch_settings(plan)));
  RunSettings whole_sequence_run = micro_batch_settings(plan);
  whole_sequence_run.seq_len = plan.seq_len;
  TB_ASSIGN_OR_RETURN(const StepDecomposition whole_sequence, decompose(stage_model, whole_sequence_run));
  TrainingTime& t = out.time;
  t.micro_batches = plan.micro_batches();
  TB_RETURN_IF_ERROR(add_kernel_items(stage, whole_sequence, plan, target, efficiency, links, t));
  if (plan.cp > 1) {
    // Context parallelism: each layer all-gathers the other devices' K and V
    // in the forward and reduce-scatters their gradients in the backward,
    // overlapped with the attention (ring attention); the excess is exposed.
    const double kv_heads = static_cast<double>(std::max<std::int64_t>(1, model.kv_heads / plan.tp));
    const double kv_bytes = static_cast<double>(plan.tokens_per_micro_batch()) * 2.0 * kv_heads *
                            static_cast<double>(model.head_dim() * dtype_size(plan.dtype)) *
                            static_cast<double>(plan.cp);
    TB_ASSIGN_OR_RETURN(const double gather, collective_time_s(CollectiveKind::kAllGather, kv_bytes, plan.cp,
                                                               placement.cp_per_instance, target, links));
    TB_ASSIGN_OR_RETURN(const double scatter, collective_time_s(CollectiveKind::kReduceScatter, kv_bytes, plan.cp,
                                                                placement.cp_per_instance, target, links));
    const double per_micro_batch = static_cast<double>(stage_model.layers) * (gather + scatter);
    t.cp_comm_s = std::max(0.0, per_micro_batch - t.attention_s);
  }
  TB_ASSIGN_OR_RETURN(const MemoryBoundTime mb,
                      project_memory_bound(model, plan, out.memory.stage_parameters, target, efficiency));
  t.elementwise_s = mb.forward_s + mb.backward_s;
  t.forward_s += mb.forward_s;
  t.backward_s += mb.backward_s;
  t.recompute_s += mb.recompute_s;
  t.optimizer_s = mb.optimizer_s;
  if (plan.pp > 1) {
    // The activation (forward) and its gradient (backward) cross each of the
    // vpp stage boundaries of a device, sequence-parallel-sharded over tp.
    const double bytes = static_cast<double>(plan.micro_batch * plan.seq_len * model.hidden) *
                         static_cast<double>(dtype_size(plan.dtype)) / static_cast<double>(plan.tp);
    TB_ASSIGN_OR_RETURN(const double send, send_time_s(bytes, placement.stages_cross_instances, target, links));
    t.pp_comm_s = 2.0 * static_cast<double>(plan.vpp) * send;
  }
  t.micro_batch_s = t.forward_s + t.backward_s + t.recompute_s + t.tp_comm_s + t.cp_comm_s + t.pp_comm_s;
  t.bubble_s = static_cast<double>(plan.pp - 1) / static_cast<double>(plan.vpp) * t.micro_batch_s;
  t.pipeline_s = static_cast<double>(t.micro_batches) * t.micro_batch_s + t.bubble_s;
  TB_RETURN_IF_ERROR(add_data_parallel(plan, out.memory, placement, target, links, t));
  t.step_s = t.pipeline_s + t.dp_exposed_s + t.optimizer_s;

  out.memory_capacity_bytes = target.memory_bytes;
  out.fits_in_memory = target.memory_bytes <= 0 || out.memory.total_bytes() <= target.memory_bytes;
  out.tokens_per_s_per_device = plan.tokens_per_step() / t.step_s / static_cast<double>(plan.devices);
  TB_ASSIGN_OR_RETURN(const StepDecomposition whole, decompose(model, whole_sequence_run));
  out.flop_per_token = whole.flop_per_token();
  out.flop_per_token_6n_12lds = flop_per_token_6n_12lds(model, plan.seq_len);
  out.peak_flop_per_s = target.peak_flop_per_s;
  out.mfu = out.flop_per_token * out.tokens_per_s_per_device / target.peak_flop_per_s;
  out.mfu_6n_12lds = out.flop_per_token_6n_12lds * out.tokens_per_s_per_device / target.peak_flop_per_s;
  return out;
}

}  // namespace tb
