// Projecting one device's training step onto a device that is not at hand
// (an instance of the catalog, or this machine's CPU as the model's own check):
// each item of a StepDecomposition gets a projected time from the roofline and
// link models of projection.h with the efficiency factors of efficiency.h.
// Every figure from here is `projected` wherever it is shown (docs/cost.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/efficiency.h"
#include "catalog/instance_catalog.h"
#include "common/dtype.h"
#include "common/error.h"
#include "model/step_decomposition.h"

namespace tb {

// What the projection needs of one device (one accelerator; this CPU as one device).
struct ProjectionTarget {
  std::string label;                    // "p5.48xlarge", "this machine (cpu)"
  std::string device_class;             // key into the efficiency table
  int devices_per_instance = 1;         // accelerators per instance (1 for a CPU)
  double peak_flop_per_s = 0.0;         // per device, for the step's dtype (FLOP/s), > 0
  double memory_bytes_per_s = 0.0;      // per device (B/s), > 0
  double memory_bytes = 0.0;            // per device capacity (B); 0 = unknown
  double intra_link_bytes_per_s = 0.0;  // per device, to the other devices of the instance (B/s); 0 = unknown
  double network_bytes_per_s = 0.0;     // per device: the instance's network / devices (B/s); 0 = unknown
  std::string peak_source;              // e.g. "catalog: peak_bf16_tflops of p5.48xlarge"
};

// The target for one catalog instance and dtype: fp32 -> peak_fp32_tflops,
// bf16/fp16 -> peak_bf16_tflops. kBadInput naming the instance and the
// missing column when its peak for the dtype or memory bandwidth is unknown,
// or when it has no accelerators and no peak (CPU rows). A CPU-only instance
// with a peak is one device whose memory is its host memory.
Expected<ProjectionTarget> projection_target(const Instance& instance, DType dtype);

// Per-device bandwidth (B/s) of an all-reduce ring spanning `span` devices of
// `target`: the intra-node link within one instance; across instances the
// slower of the intra-node link and the network share (the network alone when
// an instance has one device or its link is unknown). kBadInput naming the
// catalog column to fill when the bandwidth it needs is unknown.
Expected<double> ring_bandwidth(std::int64_t span, const ProjectionTarget& target);

// Run settings of a step projected on a whole instance: every device works,
// so dp becomes max(run.dp, devices_per_instance / run.tp) (the gradient
// all-reduce within the instance then enters the step). Unchanged when
// devices_per_instance < run.tp.
RunSettings instance_run_settings(const RunSettings& run, int devices_per_instance);

struct ItemProjection {
  double seconds = 0.0;  // one execution (s)
  std::string bound;     // "compute", "memory" (kernels), "link" (all-reduce), "none" (1 rank)
};

// One kernel execution (gemm, attention) of `flop` FLOP moving `min_bytes` B
// on `target` with `row`'s compute, memory and launch factors (the roofline).
Expected<ItemProjection> project_kernel(double flop, double min_bytes, const ProjectionTarget& target,
                                        const EfficiencyRow& row);

// One ring all-reduce of `bytes` B per rank over `ranks` ranks whose ring
// spans `span` devices (ring_bandwidth picks the link), with `row`'s alpha
// and link efficiency; 1 rank costs nothing (bound "none").
Expected<ItemProjection> project_allreduce(double bytes, int ranks, std::int64_t span, const ProjectionTarget& target,
                                           const EfficiencyRow& row);

// Projected time of every item of `step` (same order), with the efficiency
// row of (target.device_class, item.kernel). All-reduces: the tensor-parallel
// ones (over tp ranks) over the intra-node link when tp <= devices_per_instance;
// the data-parallel one (over dp ranks) over the intra-node link when
// tp x dp <= devices_per_instance; a ring that spans instances over the slower
// of the intra-node link and the network share (the network alone when the
// instance has one device or its link is unknown). kBadInput naming the target
// and what is missing (e.g. an all-reduce with no link bandwidth known).
Expected<std::vector<ItemProjection>> project_step(const StepDecomposition& step, const ProjectionTarget& target,
                                                   const EfficiencyTable& efficiency);


}  // namespace tb
