// `trainbench project` and `trainbench validate` from their options: the
// files read (model, catalog, efficiency factors, published runs), the plan
// resolved, and the cost layer's projection and validation run
// (docs/cost.md, "Projecting a training job", "Published runs and the stated
// error"). Nothing is measured here.
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"
#include "cost/calibration.h"
#include "cost/job_projection.h"
#include "runner/model_run.h"

namespace tb {

struct ProjectRequest {
  std::string model;                  // data/models name
  std::int64_t devices = 0;           // required
  std::int64_t tp = 1, cp = 1, pp = 1, vpp = 1;
  std::int64_t dp = 0;                // 0: devices / (tp x cp x pp)
  int zero = 0;
  std::string recompute = "none";
  std::int64_t seq = 0;               // 0: the model's
  std::int64_t micro_batch = 1;
  std::int64_t global_batch = 0;      // 0: dp x micro_batch (no gradient accumulation)
  std::string dtype = "bf16";         // bf16 | fp16
  ModelRequest comparison;            // instances, pricing, prices, efficiency overrides, catalog
  std::string published_runs;         // empty: data/published-runs.csv
};

struct ProjectSession {
  ModelConfig model;
  TrainingPlan plan;                  // resolved
  ComparisonSetup setup;              // with the validation of the published runs (the stated errors)
  JobProjection job;
};

Expected<ProjectSession> run_project(const ProjectRequest& request);

struct ValidateRequest {
  std::vector<std::string> efficiency;  // "KERNEL.FIELD=VALUE" overrides
  std::string catalog;                  // empty: data/instances.csv
  std::string published_runs;           // empty: data/published-runs.csv
};

Expected<ValidationReport> run_validate(const ValidateRequest& request);

}  // namespace tb
