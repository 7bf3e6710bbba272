#include "model/training_plan.h"

#include <array>
#include <utility>

namespace tb {
namespace {

constexpr std::array<std::pair<Recompute, const char*>, 3> kRecomputeNames = {{
    {Recompute::kNone, "none"}, {Recompute::kSelective, "selective"}, {Recompute::kFull, "full"}}};

Status check_degree(std::int64_t value, const char* name, std::int64_t max) {
  if (value >= 1 && value <= max) return {};
  return bad_input(std::string(name) + " " + std::to_string(value) + " is out of range: expected 1 to " +
                   std::to_string(max));
}

}  // namespace

std::string_view recompute_name(Recompute r) {
  for (const auto& [value, name] : kRecomputeNames)
    if (value == r) return name;
  return "none";
}

Expected<Recompute> parse_recompute(std::string_view text) {
  for (const auto& [value, name] : kRecomputeNames)
    if (text == name) return value;
  return bad_input("--recompute '" + std::string(text) + "' is not known: expected none, selective or full");
}

std::string TrainingPlan::summary() const {
  std::string s = "tp=" + std::to_string(tp);
  if (cp > 1) s += " cp=" + std::to_string(cp);
  s += " pp=" + std::to_string(pp) + " dp=" + std::to_string(dp);
  if (vpp > 1) s += " vpp=" + std::to_string(vpp);
  s += " zero=" + std::to_string(zero) + " recompute=" + std::string(recompute_name(recompute));
  s += " mbs=" + std::to_string(micro_batch) + " gbs=" + std::to_string(global_batch) + " seq=" + std::to_string(seq_len);
  return s;
}

Expected<TrainingPlan> resolve_plan(const ModelConfig& model, const TrainingPlan& in) {
  TrainingPlan plan = in;
  if (plan.seq_len == 0) plan.seq_len = model.seq_len;
  TB_RETURN_IF_ERROR(check_degree(plan.devices, "--devices", kMaxPlanDevices));
  TB_RETURN_IF_ERROR(check_degree(plan.tp, "--tp", kMaxParallel));
  TB_RETURN_IF_ERROR(check_degree(plan.cp, "--cp", kMaxParallel));
  TB_RETURN_IF_ERROR(check_degree(plan.pp, "--pp", kMaxParallel));
  TB_RETURN_IF_ERROR(check_degree(plan.dp, "--dp", kMaxPlanDevices));
  TB_RETURN_IF_ERROR(check_degree(plan.vpp, "--vpp", kMaxParallel));
  TB_RETURN_IF_ERROR(check_degree(plan.micro_batch, "--micro-batch", kMaxGlobalBatch));
  TB_RETURN_IF_ERROR(check_degree(plan.global_batch, "--global-batch", kMaxGlobalBatch));
  const std::int64_t product = plan.tp * plan.cp * plan.pp * plan.dp;
  if (product != plan.devices) {
    return bad_input("tp x cp x pp x dp = " + std::to_string(plan.tp) + " x " + std::to_string(plan.cp) + " x " +
                     std::to_string(plan.pp) + " x " + std::to_string(plan.dp) + " = " + std::to_string(product) +
                     " devices, but --devices is " + std::to_string(plan.devices) + ": expected them equal");
  }
  if (plan.seq_len % plan.cp != 0) {
    return bad_input("--cp " + std::to_string(plan.cp) + " does not divide the sequence length " +
                     std::to_string(plan.seq_len) + ": expected each device to hold an equal part of a sequence");
  }
  if (plan.zero < 0 || plan.zero > 3) {
    return bad_input("--zero " + std::to_string(plan.zero) + " is not a ZeRO stage: expected 0, 1, 2 or 3");
  }
  if (plan.pp > model.layers) {
    return bad_input("--pp " + std::to_string(plan.pp) + " is more pipeline stages than " + model.name + " has layers (" +
                     std::to_string(model.layers) + "): expected at most " + std::to_string(model.layers));
  }
  if (plan.vpp > 1 && plan.pp == 1) {
    return bad_input("--vpp " + std::to_string(plan.vpp) + " interleaves pipeline stages, but --pp is 1: expected "
                     "--vpp 1, or --pp > 1");
  }
  if (model.layers % (plan.pp * plan.vpp) != 0) {
    return bad_input("pp x vpp = " + std::to_string(plan.pp * plan.vpp) + " does not divide the " +
                     std::to_string(model.layers) + " layers of " + model.name +
                     ": expected every (virtual) stage to hold the same number of layers");
  }
  if (plan.global_batch % (plan.dp * plan.micro_batch) != 0) {
    return bad_input("--global-batch " + std::to_string(plan.global_batch) + " is not a multiple of dp x micro-batch = " +
                     std::to_string(plan.dp) + " x " + std::to_string(plan.micro_batch) + " = " +
                     std::to_string(plan.dp * plan.micro_batch) + ": expected each replica to run whole micro-batches");
  }
  TB_RETURN_IF_ERROR(validate(model, micro_batch_settings(plan)));
  return plan;
}

RunSettings micro_batch_settings(const TrainingPlan& plan) {
  RunSettings run;
  run.micro_batch = plan.micro_batch;
  run.tp = plan.tp;
  run.dp = 1;
  run.dtype = plan.dtype;
  run.grad_dtype = plan.grad_dtype;
  run.seq_len = plan.seq_len / plan.cp;
  return run;
}

std::int64_t layers_per_stage(const ModelConfig& model, const TrainingPlan& plan) { return model.layers / plan.pp; }

}  // namespace tb
