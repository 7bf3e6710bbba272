#include "cost/step_projection.h"

#include <algorithm>

#include "cost/projection.h"
#include "kernels/kernel_registry.h"

namespace tb {
namespace {

constexpr double kTera = 1e12;               // TFLOP/s -> FLOP/s
constexpr double kGiga = 1e9;                // GB/s -> B/s
constexpr double kGigabitBytes = 1e9 / 8.0;  // Gbit/s -> B/s
constexpr double kGiB = 1073741824.0;        // GiB -> B

// The catalog column holding an instance's peak for `dtype`.
struct PeakColumn {
  const char* name;
  std::optional<double> Instance::*member;
};

PeakColumn peak_column(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return {"peak_fp32_tflops", &Instance::peak_fp32_tflops};
    case DType::kBf16:
    case DType::kFp16: return {"peak_bf16_tflops", &Instance::peak_bf16_tflops};  // the catalog's BF16/FP16 column
    case DType::kFp8E4m3: return {"peak_fp8_tflops", &Instance::peak_fp8_tflops};
  }
  return {"peak_fp32_tflops", &Instance::peak_fp32_tflops};
}

// `value` x `scale`, or 0 (unknown) when the cell is empty.
double scaled_or_zero(const std::optional<double>& value, double scale) { return value ? *value * scale : 0.0; }

bool known_positive(const std::optional<double>& value) { return value && *value > 0; }

// Prefixes an error with the item and the target it was projected onto.
Error in_context(const Error& error, const StepItem& item, const ProjectionTarget& target) {
  return Error{error.code, "projecting " + item.problem + " (" + item.phase + ") onto " + target.label + ": " +
                               error.message};
}

// Ranks of an all-reduce item: tp for "tp-comm", dp for "dp-comm".
Expected<std::int64_t> allreduce_ranks(const StepItem& item, const RunSettings& run) {
  if (item.phase == "tp-comm") return run.tp;
  if (item.phase == "dp-comm") return run.dp;
  return bad_input("all-reduce in phase '" + item.phase + "': expected tp-comm or dp-comm");
}

// Devices a ring of this item spans: the tp group, or tp x dp for the
// gradient all-reduce (its ranks are the replicas of one shard).
std::int64_t ring_span(const StepItem& item, const RunSettings& run) {
  return item.phase == "dp-comm" ? run.tp * run.dp : run.tp;
}

}  // namespace

Expected<double> ring_bandwidth(std::int64_t span, const ProjectionTarget& t) {
  const std::string devices = std::to_string(span) + " devices";
  if (span <= t.devices_per_instance) {
    if (t.intra_link_bytes_per_s > 0) return t.intra_link_bytes_per_s;
    return bad_input("the ring over " + devices + " stays within one instance, whose intra-node link bandwidth is " +
                     "unknown: fill intra_node_link_gb_per_s in the catalog");
  }
  if (t.network_bytes_per_s <= 0) {
    return bad_input("the ring over " + devices + " crosses instances (" + std::to_string(t.devices_per_instance) +
                     " devices each), and the network bandwidth is unknown: fill network_gbit_per_s in the catalog");
  }
  if (t.devices_per_instance > 1 && t.intra_link_bytes_per_s > 0) {
    return std::min(t.intra_link_bytes_per_s, t.network_bytes_per_s);
  }
  return t.network_bytes_per_s;
}

Expected<ItemProjection> project_kernel(double flop, double min_bytes, const ProjectionTarget& target,
                                        const EfficiencyRow& row) {
  const Roofline device{target.peak_flop_per_s, target.memory_bytes_per_s, row.compute, row.memory,
                        row.launch_overhead_s};
  TB_ASSIGN_OR_RETURN(const double seconds, projected_kernel_time_s(flop, min_bytes, device));
  // The compute term alone (no bytes): equal to the whole when compute wins (ties count as compute).
  TB_ASSIGN_OR_RETURN(const double compute_only, projected_kernel_time_s(flop, 0.0, device));
  return ItemProjection{seconds, seconds == compute_only ? "compute" : "memory"};
}

Expected<ItemProjection> project_allreduce(double bytes, int ranks, std::int64_t span, const ProjectionTarget& target,
                                           const EfficiencyRow& row) {
  if (ranks <= 1) return ItemProjection{0.0, "none"};
  TB_ASSIGN_OR_RETURN(const double bandwidth, ring_bandwidth(span, target));
  const LinkModel link{row.alpha_s, bandwidth, row.link};
  TB_ASSIGN_OR_RETURN(const double seconds, projected_allreduce_time_s(bytes, ranks, link));
  return ItemProjection{seconds, "link"};
}

namespace {

Expected<ItemProjection> project_item(const StepItem& item, const RunSettings& run, const ProjectionTarget& target,
                                      const EfficiencyTable& efficiency) {
  TB_ASSIGN_OR_RETURN(const EfficiencyRow row, efficiency.find(target.device_class, item.kernel));
  const KernelInfo* kernel = find_kernel(item.kernel);
  if (kernel == nullptr || !kernel->collective) return project_kernel(item.flop, item.min_bytes, target, row);
  TB_ASSIGN_OR_RETURN(const std::int64_t ranks, allreduce_ranks(item, run));
  return project_allreduce(static_cast<double>(item.bytes), static_cast<int>(ranks), ring_span(item, run), target,
                           row);
}

}  // namespace

Expected<ProjectionTarget> projection_target(const Instance& instance, DType dtype) {
  const PeakColumn column = peak_column(dtype);
  const std::optional<double>& peak = instance.*(column.member);
  const std::string dtype_text(dtype_name(dtype));
  if (!known_positive(peak)) {
    if (instance.accelerator_count == 0) {
      return bad_input(instance.name + " is a CPU-only instance with no " + column.name + " in the catalog (needed for " +
                       dtype_text + "): fill it from the CPU's datasheet or a measurement, or choose an accelerator "
                       "instance");
    }
    return bad_input(instance.name + " has no " + column.name + " in the catalog (needed for " + dtype_text +
                     "): fill it, or choose another dtype or instance");
  }
  if (!known_positive(instance.memory_bandwidth_gb_per_s)) {
    return bad_input(instance.name + " has no memory_bandwidth_gb_per_s in the catalog: fill it, or choose another "
                     "instance");
  }
  ProjectionTarget t;
  t.label = instance.name;
  t.device_class = device_class_of_accelerator(instance.accelerator);
  t.devices_per_instance = std::max(1, instance.accelerator_count);
  t.peak_flop_per_s = *peak * kTera;
  t.memory_bytes_per_s = *instance.memory_bandwidth_gb_per_s * kGiga;
  // A CPU instance's device memory is its host memory.
  t.memory_bytes = scaled_or_zero(
      instance.accelerator_count == 0 ? instance.host_memory_gib : instance.accelerator_memory_gib, kGiB);
  t.intra_link_bytes_per_s = scaled_or_zero(instance.intra_node_link_gb_per_s, kGiga);
  t.network_bytes_per_s = scaled_or_zero(instance.network_gbit_per_s, kGigabitBytes) / t.devices_per_instance;
  t.peak_source = "catalog: " + std::string(column.name) + " of " + instance.name;
  return t;
}

RunSettings instance_run_settings(const RunSettings& run, int devices_per_instance) {
  RunSettings out = run;
  if (devices_per_instance < run.tp) return out;
  out.dp = std::max<std::int64_t>(run.dp, devices_per_instance / run.tp);
  return out;
}

Expected<std::vector<ItemProjection>> project_step(const StepDecomposition& step, const ProjectionTarget& target,
                                                   const EfficiencyTable& efficiency) {
  std::vector<ItemProjection> out;
  out.reserve(step.items.size());
  for (const StepItem& item : step.items) {
    Expected<ItemProjection> p = project_item(item, step.run, target, efficiency);
    if (!p) return in_context(p.error(), item, target);
    out.push_back(std::move(*p));
  }
  return out;
}

}  // namespace tb
