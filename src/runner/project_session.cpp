#include "runner/project_session.h"

#include "common/dtype.h"

namespace tb {
namespace {

Expected<TrainingPlan> plan_from(const ProjectRequest& r, const ModelConfig& model) {
  TrainingPlan plan;
  plan.devices = r.devices;
  plan.tp = r.tp;
  plan.cp = r.cp;
  plan.pp = r.pp;
  plan.vpp = r.vpp;
  plan.zero = r.zero;
  plan.seq_len = r.seq;
  plan.micro_batch = r.micro_batch;
  if (r.devices < 1) return bad_input("--devices " + std::to_string(r.devices) + ": expected the number of accelerators, 1 or more");
  const auto out_of_range = [](std::int64_t degree) { return degree < 1 || degree > kMaxParallel; };
  if (r.dp == 0 && (out_of_range(r.tp) || out_of_range(r.cp) || out_of_range(r.pp))) {
    plan.dp = 1;  // resolve_plan names the degree out of range
  } else if (r.dp == 0) {
    const std::int64_t group = r.tp * r.cp * r.pp;  // at most 256^3: no overflow
    if (r.devices % group != 0) {
      return bad_input("--devices " + std::to_string(r.devices) + " is not a multiple of tp x cp x pp = " +
                       std::to_string(group) + ": expected --dp to make tp x cp x pp x dp = devices");
    }
    plan.dp = r.devices / group;
  } else {
    plan.dp = r.dp;
  }
  plan.global_batch = r.global_batch == 0 ? plan.dp * r.micro_batch : r.global_batch;
  TB_ASSIGN_OR_RETURN(plan.recompute, parse_recompute(r.recompute));
  TB_ASSIGN_OR_RETURN(plan.dtype, parse_dtype(r.dtype));
  if (plan.dtype != DType::kBf16 && plan.dtype != DType::kFp16) {
    return bad_input("--dtype " + r.dtype + " is not projected: expected bf16 or fp16 (mixed-precision training)");
  }
  plan.grad_dtype = model.defaults.grad_dtype;
  return resolve_plan(model, plan);
}

}  // namespace

Expected<ProjectSession> run_project(const ProjectRequest& request) {
  ProjectSession s;
  TB_ASSIGN_OR_RETURN(s.model, load_model(request.model));
  TB_ASSIGN_OR_RETURN(s.plan, plan_from(request, s.model));
  ModelRequest comparison = request.comparison;
  comparison.published_runs = request.published_runs;
  TB_ASSIGN_OR_RETURN(s.setup, prepare_comparison(comparison, s.plan.dtype));
  JobRequest job;
  job.model = s.model;
  job.plan = s.plan;
  job.instances = s.setup.instances;
  job.skip_unprojectable = s.setup.all_instances;
  job.pricing = s.setup.pricing;
  job.price_overrides = s.setup.price_overrides;
  job.efficiency = &s.setup.efficiency;
  job.validation = &s.setup.validation;
  TB_ASSIGN_OR_RETURN(s.job, project_job(job));
  return s;
}

Expected<ValidationReport> run_validate(const ValidateRequest& request) {
  ModelRequest options;
  options.efficiency = request.efficiency;
  options.catalog = request.catalog;
  options.instances = {"none"};
  options.published_runs = request.published_runs;
  TB_ASSIGN_OR_RETURN(ComparisonSetup setup, prepare_comparison(options, DType::kBf16));
  return std::move(setup.validation);
}

}  // namespace tb
