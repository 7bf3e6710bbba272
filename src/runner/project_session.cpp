#include "runner/project_session.h"

#include "catalog/published_runs.h"
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
  const std::int64_t group = r.tp * r.cp * r.pp;
  if (r.dp == 0) {
    if (group < 1 || r.devices % group != 0) {
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

Expected<ValidationReport> validate_with(const ComparisonSetup& setup, const std::string& published_runs) {
  TB_ASSIGN_OR_RETURN(const std::vector<PublishedRun> runs,
                      read_published_runs(published_runs.empty() ? default_published_runs_path() : published_runs));
  CalibrationInputs inputs;
  inputs.runs = &runs;
  inputs.catalog = &setup.catalog;
  inputs.efficiency = &setup.efficiency;
  inputs.models_dir = default_models_dir();
  return validate_published_runs(inputs);
}

}  // namespace

Expected<ProjectSession> run_project(const ProjectRequest& request) {
  ProjectSession s;
  TB_ASSIGN_OR_RETURN(s.model, load_model(request.model));
  TB_ASSIGN_OR_RETURN(s.plan, plan_from(request, s.model));
  TB_ASSIGN_OR_RETURN(s.setup, prepare_comparison(request.comparison, s.plan.dtype));
  TB_ASSIGN_OR_RETURN(s.validation, validate_with(s.setup, request.published_runs));
  JobRequest job;
  job.model = s.model;
  job.plan = s.plan;
  job.instances = s.setup.instances;
  job.skip_unprojectable = s.setup.all_instances;
  job.pricing = s.setup.pricing;
  job.price_overrides = s.setup.price_overrides;
  job.efficiency = &s.setup.efficiency;
  job.validation = &s.validation;
  TB_ASSIGN_OR_RETURN(s.job, project_job(job));
  return s;
}

Expected<ValidationReport> run_validate(const ValidateRequest& request) {
  ModelRequest options;
  options.efficiency = request.efficiency;
  options.catalog = request.catalog;
  options.instances = {"none"};
  TB_ASSIGN_OR_RETURN(const ComparisonSetup setup, prepare_comparison(options, DType::kBf16));
  return validate_with(setup, request.published_runs);
}

}  // namespace tb
