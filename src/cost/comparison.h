// The comparison at the end of `run --model` and of `trainbench cost`: this
// machine's measured step and the same step projected onto catalog instances,
// priced, sorted by USD per 1M tokens; plus the projection's own check (this
// machine projected with the same model, item by item, against what was
// measured). docs/cost.md, "Comparing instances".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/efficiency.h"
#include "common/error.h"
#include "cost/calibration.h"
#include "cost/cost_table.h"
#include "cost/step_projection.h"
#include "model/step_time.h"

namespace tb {

struct ComparisonRequest {
  StepDecomposition step;                 // the step as run on this machine
  std::vector<double> measured_seconds;   // one execution per item (s); empty: no measured row, no check
  ProjectionTarget this_machine;          // peak (for MFU) and the check's target
  std::optional<PriceChoice> this_machine_price;  // --price; unpriced otherwise
  std::vector<Instance> instances;        // to project
  std::map<std::string, PriceChoice> price_overrides;  // per instance name (--price NAME=USD)
  bool skip_unprojectable = false;        // true: an instance that cannot be projected becomes a footnote, not an error
  const EfficiencyTable* efficiency = nullptr;
  const ValidationReport* validation = nullptr;  // the stated error of projected rows; null: "unvalidated"
  PricingModel pricing = PricingModel::kOnDemand;
  double train_tokens = 0.0;              // token budget (tokens); 0 = none
  StepTimeOptions step_options;
};

// One item of the projection's own check.
struct CheckItem {
  std::string phase, what, problem;
  double measured_s = 0.0;   // one execution (s)
  double projected_s = 0.0;  // one execution (s)
  double error = 0.0;        // (projected - measured) / measured (fraction)
  std::string bound;         // what limits the projection: "compute", "memory", "link"
  double flop = 0.0;         // per execution (FLOP)
};

struct Comparison {
  std::vector<CostRow> rows;            // sorted (sort_cost_rows)
  std::vector<CheckItem> check;         // empty without measured seconds
  double step_check_error = 0.0;        // projected vs measured step time of this machine (fraction)
  std::vector<std::string> skipped;     // instances that could not be projected, with why
};

Expected<Comparison> build_comparison(const ComparisonRequest& request);

// Whether `step` can be projected onto `instance` (peaks, link bandwidths and
// efficiency rows known): the error build_comparison would meet, found before
// anything is measured.
Status check_projectable(const StepDecomposition& step, const Instance& instance, const EfficiencyTable& efficiency);

}  // namespace tb
