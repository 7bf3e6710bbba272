#include "model/step_time.h"

#include <algorithm>
#include <cmath>

#include "kernels/kernel_registry.h"

namespace tb {

Expected<StepTime> compose_step(const StepDecomposition& step, const std::vector<double>& seconds,
                                const StepTimeOptions& options) {
  if (seconds.size() != step.items.size()) {
    return bad_input("step composition: " + std::to_string(seconds.size()) + " item times for " +
                     std::to_string(step.items.size()) + " items");
  }
  StepTime t;
  // Compute time per compute kernel of the registry, in its order.
  std::vector<std::pair<std::string, double>> compute;
  for (const KernelInfo& k : kernels()) {
    if (!k.collective) compute.emplace_back(k.name, 0.0);
  }
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
      const auto cls = std::find_if(compute.begin(), compute.end(), [&](const auto& c) { return c.first == item.kernel; });
      if (cls == compute.end()) {
        return bad_input("step composition: " + item.problem + " in phase " + item.phase + " is of kernel '" +
                         item.kernel + "': expected a compute kernel (" + kernel_names(compute_kernel, "or") + ")");
      }
      cls->second += total;
      if (item.phase.rfind("bwd", 0) == 0) t.backward_compute_s += total;
    }
  }
  for (const auto& [kernel, seconds_of_kernel] : compute) t.compute_s += seconds_of_kernel;
  t.dp_exposed_s = options.overlap_dp_with_backward ? std::max(0.0, t.dp_comm_s - t.backward_compute_s) : t.dp_comm_s;
  t.step_s = t.compute_s + t.tp_comm_s + t.dp_exposed_s;
  for (const auto& [kernel, seconds_of_kernel] : compute) t.shares.emplace_back(kernel, seconds_of_kernel / t.step_s);
  t.shares.emplace_back("tp all-reduce", t.tp_comm_s / t.step_s);
  t.shares.emplace_back("dp all-reduce (exposed)", t.dp_exposed_s / t.step_s);
  return t;
}

}  // namespace tb
