#include "runner/step_measurement.h"

#include <algorithm>
#include <memory>
#include <string>

#include "kernels/allreduce/allreduce_problem.h"
#include "kernels/kernel_registry.h"

namespace tb {
namespace {

// The all-reduce to run for `item`: itself, or the same at `cap` bytes (a
// multiple of the element size) when larger. Sets `scale`.
Expected<ProblemPtr> allreduce_to_run(const StepItem& item, std::int64_t cap, double& scale) {
  TB_ASSIGN_OR_RETURN(const ProblemPtr parsed, parse_problem(item.problem));
  const auto* ar = dynamic_cast<const AllreduceProblem*>(parsed.get());
  if (ar == nullptr || ar->bytes() <= cap) return parsed;
  const std::int64_t element = static_cast<std::int64_t>(dtype_size(ar->dtype()));
  const std::int64_t bytes = std::max(element, cap / element * element);
  scale = static_cast<double>(ar->bytes()) / static_cast<double>(bytes);
  return ProblemPtr(std::make_shared<AllreduceProblem>(bytes, ar->dtype(), ar->op(), ar->ranks(), ar->in_place(),
                                                      ar->algo(), ar->transport()));
}

}  // namespace

Expected<StepMeasurementPlan> plan_step_measurement(const StepDecomposition& step, std::int64_t max_allreduce_bytes) {
  if (max_allreduce_bytes < 1024) {
    return bad_input("--max-allreduce-bytes " + std::to_string(max_allreduce_bytes) +
                     " is too small: expected at least 1024 bytes (1K)");
  }
  StepMeasurementPlan plan;
  std::vector<std::string> names;
  for (const StepItem& item : step.items) {
    double scale = 1.0;
    TB_ASSIGN_OR_RETURN(ProblemPtr problem, parse_problem(item.problem));
    if (problem->collective()) {  // measured at no more than max_allreduce_bytes, its time scaled
      TB_ASSIGN_OR_RETURN(problem, allreduce_to_run(item, max_allreduce_bytes, scale));
    }
    const std::string name = problem->to_string();
    const auto it = std::find(names.begin(), names.end(), name);
    plan.problem_of_item.push_back(static_cast<std::size_t>(it - names.begin()));
    if (it == names.end()) {
      names.push_back(name);
      plan.problems.push_back(std::move(problem));
    }
    plan.scale.push_back(scale);
  }
  return plan;
}

std::vector<StepItemResult> step_item_results(const StepDecomposition& step, const StepMeasurementPlan& plan,
                                              const std::vector<ProblemResult>& results) {
  std::vector<StepItemResult> out;
  for (std::size_t i = 0; i < step.items.size(); ++i) {
    StepItemResult r;
    r.item = step.items[i];
    r.scale = plan.scale[i];
    const std::size_t p = plan.problem_of_item[i];
    r.measured_problem = plan.problems[p]->to_string();
    if (p < results.size() && results[p].status == ResultStatus::kPassed) r.time_s = results[p].time_s.median * r.scale;
    if (p < results.size() && results[p].status == ResultStatus::kSkipped) r.skipped = results[p].reason;
    out.push_back(std::move(r));
  }
  return out;
}

Expected<std::vector<double>> item_seconds(const std::vector<StepItemResult>& items) {
  std::vector<double> seconds;
  std::string skipped;  // "problem (reason)" of each skipped problem, once
  for (const StepItemResult& r : items) {
    if (r.time_s > 0.0) {
      seconds.push_back(r.time_s);
    } else if (r.skipped.empty()) {
      return run_failure("the step cannot be composed: " + r.measured_problem +
                         " did not pass (see its row above); no step time, tokens/s or cost is reported");
    } else if (skipped.find(r.measured_problem + " (") == std::string::npos) {
      skipped += (skipped.empty() ? "" : "; ") + r.measured_problem + " (" + r.skipped + ")";
    }
  }
  if (!skipped.empty()) {
    return unavailable("the step cannot be composed on this machine: it needs " + skipped +
                       "; no step time, tokens/s or cost is reported, and the problems that ran are in the results");
  }
  return seconds;
}

}  // namespace tb
