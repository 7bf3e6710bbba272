// Composing a training step's time from the time of each kernel problem of
// its decomposition (measured on this machine or projected), with the
// overlap rule stated here and in docs/cost.md:
//
//   compute   = sum over gemm and attention items of count x time
//   tp comm   = sum over tensor-parallel all-reduces of count x time (on the
//               critical path: each one waits for the layer before it)
//   dp comm   = the data-parallel gradient all-reduce(s), count x time
//   exposed   = max(0, dp comm - backward compute) when the gradient
//               all-reduce overlaps the backward (buckets reduced as they are
//               ready, as PyTorch DDP and Megatron do); dp comm otherwise
//   step      = compute + tp comm + exposed
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "model/step_decomposition.h"

namespace tb {

struct StepTimeOptions {
  bool overlap_dp_with_backward = true;
};

struct StepTime {
  double compute_s = 0.0;           // every compute kernel's items: gemm + attention (s)
  double backward_compute_s = 0.0;  // the part of compute in phases bwd-* (s)
  double tp_comm_s = 0.0;           // (s)
  double dp_comm_s = 0.0;           // the whole gradient all-reduce (s)
  double dp_exposed_s = 0.0;        // the part not hidden behind the backward (s)
  double step_s = 0.0;              // (s)
  // Share of step_s per class: each compute kernel of the registry ("gemm",
  // "attention"), then "tp all-reduce" and "dp all-reduce (exposed)".
  std::vector<std::pair<std::string, double>> shares;
};

// `seconds[i]` is the time of one execution of step.items[i] (s, > 0 and finite).
Expected<StepTime> compose_step(const StepDecomposition& step, const std::vector<double>& seconds,
                                const StepTimeOptions& options);

}  // namespace tb
