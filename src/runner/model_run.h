// run --model and trainbench cost: turning what the user asked for into a
// model step to measure and a comparison to build, with every bad value
// rejected before anything runs (docs/cost.md, "Running a model"), and the
// step composed and compared once its problems ran.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cost/comparison.h"
#include "record/run_record.h"
#include "runner/run_request.h"
#include "runner/step_measurement.h"

namespace tb {

// The instances `run --model` projects when --instance is not given.
inline const std::vector<std::string> kDefaultComparisonInstances = {"trn1.32xlarge", "trn2.48xlarge", "p4d.24xlarge",
                                                                     "p5.48xlarge", "p5en.48xlarge"};

// The comparison options (catalog, efficiency factors, instances, pricing,
// prices, token budget), read and checked.
struct ComparisonSetup {
  InstanceCatalog catalog;
  EfficiencyTable efficiency;
  std::vector<Instance> instances;
  bool all_instances = false;  // --instance all: instances without peaks are skipped with a footnote
  PricingModel pricing = PricingModel::kOnDemand;
  std::optional<PriceChoice> this_machine_price;
  std::map<std::string, PriceChoice> price_overrides;
  double train_tokens = 0.0;
  StepTimeOptions step_options;
  std::vector<std::string> warnings;  // stale prices of the compared instances
  ValidationReport validation;        // data/published-runs.csv projected: the stated error of projected rows
};
// Named instances must be projectable for `dtype` (peaks known). The
// published runs (args.published_runs or data/published-runs.csv) are
// projected for the stated errors.
Expected<ComparisonSetup> prepare_comparison(const ModelRequest& args, DType dtype);

struct ModelSession {
  StepDecomposition step;
  StepMeasurementPlan plan;
  ComparisonSetup setup;
};
// Loads the model, resolves the run settings (--tokens, --micro-batch, --tp,
// --dp), decomposes the step and plans its measurement.
Expected<ModelSession> prepare_model_session(const ModelRequest& args);

// This machine as a projection target: its measured peak for `dtype` and
// memory bandwidth (also the link of its threads all-reduce).
Expected<ProjectionTarget> this_machine_target(const DeviceInfo& device, DType dtype);

// Builds the comparison for `step` with the measured item times.
Expected<Comparison> compare_with_instances(const StepDecomposition& step, const std::vector<double>& measured_seconds,
                                            const DeviceInfo& device, const ComparisonSetup& setup);

// After the run: fills record.model_run (items, composed step when every
// problem passed, comparison) and returns the comparison; kRunFailure when a
// problem failed (the record still has the items).
Expected<Comparison> finish_model_run(const ModelSession& session, const DeviceInfo& device, RunRecord& record);

}  // namespace tb
