// Which problems `run --model` measures for a training step, and how their
// results become the time of each step item (docs/cost.md, "Running a model").
// Each unique problem of the decomposition runs once (with the usual
// verification and repetitions); items that share a problem share its time.
// An all-reduce larger than a cap (a data-parallel gradient all-reduce of
// gigabytes would not fit in this machine's memory once per rank) runs at the
// cap and its time is scaled by bytes / measured bytes: a bandwidth-bound
// extrapolation, recorded in the item (scale != 1) and shown in the breakdown.
#pragma once

#include <cstdint>
#include <vector>

#include "common/error.h"
#include "kernels/problem.h"
#include "model/step_decomposition.h"
#include "record/run_record.h"

namespace tb {

inline constexpr std::int64_t kDefaultMaxAllreduceBytes = std::int64_t{64} << 20;  // 64 MiB per rank

struct StepMeasurementPlan {
  std::vector<ProblemPtr> problems;           // unique problems to run, in order of first appearance
  std::vector<std::size_t> problem_of_item;   // per step item: its index in `problems`
  std::vector<double> scale;                  // per step item: time = measured median x scale (dimensionless)
};

// kBadInput when max_allreduce_bytes is below 1 KiB.
Expected<StepMeasurementPlan> plan_step_measurement(const StepDecomposition& step, std::int64_t max_allreduce_bytes);

// The items with their times from `results` (one per plan problem, same
// order). Items whose problem did not pass keep time_s = 0.
std::vector<StepItemResult> step_item_results(const StepDecomposition& step, const StepMeasurementPlan& plan,
                                              const std::vector<ProblemResult>& results);

// Every item's time when all passed; the first failed problem's reason otherwise (kRunFailure).
// kUnavailable, naming each, when the only missing items were skipped on this
// backend (a kernel it cannot run); kRunFailure when one failed or errored.
Expected<std::vector<double>> item_seconds(const std::vector<StepItemResult>& items);

}  // namespace tb
