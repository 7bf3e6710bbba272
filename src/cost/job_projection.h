// `trainbench project`: a training job (model and TrainingPlan) projected on
// each instance type asked for, priced, with the stated error of its device
// class (docs/cost.md, "Projecting a training job"). Every figure here is
// projected; none was measured.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/efficiency.h"
#include "catalog/instance_catalog.h"
#include "common/error.h"
#include "cost/calibration.h"
#include "cost/cost_table.h"
#include "cost/training_projection.h"

namespace tb {

struct JobRow {
  std::string instance;
  TrainingProjection projection;
  int devices_per_instance = 1;
  std::int64_t instances = 0;          // whole instances paid for: ceil(devices / devices per instance)
  double tokens_per_s_per_instance = 0;
  PriceChoice price;
  double usd_per_million_tokens = 0;   // 0 when unpriced or when the job does not fit
  StatedError stated_error;
  bool usable() const { return projection.fits_in_memory; }  // throughput and cost are shown only then
  bool priced() const { return price.usd_per_hour.has_value(); }
};

struct JobRequest {
  ModelConfig model;
  TrainingPlan plan;
  std::vector<Instance> instances;
  bool skip_unprojectable = false;  // --instance all: an instance that cannot run the plan becomes a footnote
  PricingModel pricing = PricingModel::kOnDemand;
  std::map<std::string, PriceChoice> price_overrides;
  const EfficiencyTable* efficiency = nullptr;
  const ValidationReport* validation = nullptr;  // for the stated errors
};

struct JobProjection {
  std::vector<JobRow> rows;           // fitting rows by USD per 1M tokens (unpriced after), then those that do not fit
  std::vector<std::string> skipped;   // "INSTANCE: why"
};

Expected<JobProjection> project_job(const JobRequest& request);

}  // namespace tb
