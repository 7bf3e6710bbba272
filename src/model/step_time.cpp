#include "model/step_time.h"

#include <algorithm>
#include <cmath>

namespace tb {

Expected<StepTime> compose_step(const StepDecomposition& step, const std::vector<double>& seconds,
                                const StepTimeOptions& options) {
  if (seconds.size() != step.items.size()) {
    return bad_input("step composition: " + std::to_string(seconds.size()) + " item times for " +
                     std::to_string(step.items.size()) + " items");
  }
  StepTime t;
  double gemm = 0.0, attention = 0.0;
  for (std::size_t i = 0; i < seconds.size(); ++i) {
    const StepItem& item = step.items[i];
    if (!std::isfinite(seconds[i]) || seconds[i] <= 0.0) {
      return bad_input("step composition: time of " + item.problem + " is " + std::to_string(seconds[i]) +
                       " s: expected a positive number");
    }
    const double total = static_cast<double>(item.count) * seconds[i];
    if (item.phase == "tp-comm") {
      t.tp_comm_s += total;
    } else if (item.phase == "dp-comm") {
      t.dp_comm_s += total;
    } else {
      (item.kernel == "attention" ? attention : gemm) += total;
      if (item.phase.rfind("bwd", 0) == 0) t.backward_compute_s += total;
    }
  }
  t.compute_s = gemm + attention;
  t.dp_exposed_s = options.overlap_dp_with_backward ? std::max(0.0, t.dp_comm_s - t.backward_compute_s) : t.dp_comm_s;
  t.step_s = t.compute_s + t.tp_comm_s + t.dp_exposed_s;
  t.shares = {{"gemm", gemm / t.step_s},
              {"attention", attention / t.step_s},
              {"tp all-reduce", t.tp_comm_s / t.step_s},
              {"dp all-reduce (exposed)", t.dp_exposed_s / t.step_s}};
  return t;
}

}  // namespace tb
