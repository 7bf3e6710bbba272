// The projection model: the time a kernel or an all-reduce would take on a
// device that is not at hand, from its published peaks and efficiency
// factors. Every figure it produces is labelled `projected` wherever shown.
//
//   kernel:     t = max(FLOP / (peak x e_compute), bytes / (bandwidth x e_memory)) + launch overhead
//   all-reduce: t = alpha + bytes x 2 (n - 1) / n / (link bandwidth x e_link)
//
// Efficiency factors are data (per device class and kernel, each with its
// source or "assumption") and can be overridden on the command line.
#pragma once

#include "common/error.h"

namespace tb {

struct Roofline {
  double peak_flop_per_s = 0.0;         // for the kernel's dtype (FLOP/s)
  double memory_bytes_per_s = 0.0;      // (B/s)
  double compute_efficiency = 1.0;      // fraction of peak a good kernel reaches (0, 1]
  double memory_efficiency = 1.0;       // fraction of bandwidth (0, 1]
  double launch_overhead_s = 0.0;       // fixed cost per kernel (s)
};

struct LinkModel {
  double alpha_s = 0.0;                 // latency per all-reduce (s)
  double bandwidth_bytes_per_s = 0.0;   // per-rank link bandwidth (B/s)
  double efficiency = 1.0;              // fraction of link bandwidth a ring reaches (0, 1]
};

// Projected time of one kernel execution (s); bad input names the field out of range.
Expected<double> projected_kernel_time_s(double flop, double bytes, const Roofline& device);

// Projected time of one all-reduce of `bytes` per rank over `ranks` ranks (s);
// 1 rank takes no time.
Expected<double> projected_allreduce_time_s(double bytes, int ranks, const LinkModel& link);

// The projection's own check: (projected - measured) / measured (fraction).
double projection_error(double projected_s, double measured_s);

}  // namespace tb
