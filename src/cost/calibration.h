// Projections checked against published runs (`trainbench validate`;
// docs/cost.md, "Published runs and the stated error"). Every row of
// data/published-runs.csv is projected with project_training on its catalog
// instance and compared with its published tokens/s per device. One factor
// is fitted per device class, GEMM compute efficiency (kFittedOp.kFittedField),
// on that class's calibration rows only; validation rows are never fitted.
// The leave-one-out error projects each calibration row with the factor
// fitted without it (a class left with no row falls back to the "default"
// row's factor). The stated error of a device class is the mean absolute
// error over its rows: leave-one-out for calibration rows, plain for
// validation rows; it is what every projected figure of that class carries.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/efficiency.h"
#include "catalog/instance_catalog.h"
#include "catalog/published_runs.h"
#include "common/error.h"
#include "cost/stated_error.h"
#include "cost/training_projection.h"

namespace tb {

inline constexpr const char* kFittedOp = "gemm";
inline constexpr const char* kFittedField = "compute_efficiency";

struct CheckedRun {
  PublishedRun run;
  std::string device_class;   // of its instance
  std::string skipped;        // why it was not projected ("" when it was)
  TrainingPlan plan;          // as projected
  double projected = 0;       // tokens/s per device with the table's factors
  double error = 0;           // (projected - published) / published (fraction)
  double loo_projected = 0;   // calibration rows: with the factor fitted without this row; else = projected
  double loo_error = 0;       // (fraction)
  double loo_factor = 0;      // the fitted factor used for loo_projected
  bool fits_in_memory = true;
};

struct ClassError {
  std::string device_class;   // "all" for the overall line
  int runs = 0;               // rows projected
  int calibration_runs = 0;
  double mean_abs_error = 0;      // with the table's factors, over all rows (fraction)
  double loo_mean_abs_error = 0;  // leave-one-out for calibration rows, plain for validation rows (fraction)
  std::optional<double> fitted;   // the factor fitted on all its calibration rows (none without any)
};

// The procurement question asked of two published runs of one model on two
// instance types: how much more one costs per token than the other, from the
// published throughputs and from the leave-one-out projections, both priced
// with the catalog's on-demand prices.
struct CostRatio {
  std::string model;
  std::string run_a, run_b;             // ids; a's instance over b's
  std::string instance_a, instance_b;
  double published_ratio = 0;           // USD per 1M tokens of a / of b, from the published tokens/s
  double projected_ratio = 0;           // the same from the projections with the table's factors (as `project` gives)
  double error = 0;                     // projected / published - 1 (fraction)
  double loo_ratio = 0;                 // the same from the leave-one-out projections
  double loo_error = 0;                 // loo / published - 1 (fraction)
};

struct ValidationReport {
  std::vector<CheckedRun> runs;       // in file order, skipped rows included
  std::vector<ClassError> classes;    // per device class, sorted by name
  ClassError overall;
  // For each model with calibration rows on two or more priced device
  // classes: the first row of each class (file order) over the first of each
  // class whose name sorts before it (trn1's "Trainium" over p5's "H100-SXM").
  std::vector<CostRatio> cost_ratios;
};

struct CalibrationInputs {
  const std::vector<PublishedRun>* runs = nullptr;
  const InstanceCatalog* catalog = nullptr;
  const EfficiencyTable* efficiency = nullptr;
  std::string models_dir;
};

// The plan of a published run, or kBadInput saying why it cannot be
// projected (fp8, an unknown recompute, a layout resolve_plan refuses).
Expected<TrainingPlan> plan_of(const PublishedRun& run, const ModelConfig& model);

// Projects every row; kBadInput when a row names an unknown model or instance
// (a broken data file), otherwise rows that cannot be projected are skipped
// with the reason. The fitted factor of a class minimizes the squared log
// error of projected against published tokens/s over its calibration rows
// (golden-section search in [0.05, 1]).
Expected<ValidationReport> validate_published_runs(const CalibrationInputs& inputs);

// What a projected figure of `device_class` carries.
// With no report (no published runs read), "unvalidated: no published runs were read".
StatedError stated_error(const ValidationReport* report, const std::string& device_class);

}  // namespace tb
