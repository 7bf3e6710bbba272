// Collectives of a training job that may span instances, modelled
// hierarchically (docs/cost.md, "Links"): a collective over `ranks` ranks, of
// which `per_instance` sit in each instance, runs its ring inside each
// instance over the intra-node link (NVLink, NeuronLink), then across the
// n = ranks / per_instance instances over each device's share of the
// instance's network (EFA) on 1/per_instance of the data, as NCCL's and the
// Neuron collectives' hierarchical algorithms do. Each link is alpha-beta:
//
//   t = alpha + f x (k - 1) / k x bytes / (bandwidth x link efficiency)
//
// with f = 2 for an all-reduce (reduce-scatter + all-gather) and 1 for a
// reduce-scatter or an all-gather; the intra-node efficiency row is the
// device class's "allreduce" row, the network's its "network" row.
#pragma once

#include <cstdint>

#include "catalog/efficiency.h"
#include "common/error.h"
#include "cost/step_projection.h"

namespace tb {

enum class CollectiveKind { kAllReduce, kReduceScatter, kAllGather };

struct LinkRows {
  EfficiencyRow intra;    // (device_class, "allreduce")
  EfficiencyRow network;  // (device_class, "network")
};

// Both rows of `target`'s device class (or the default rows).
Expected<LinkRows> link_rows(const ProjectionTarget& target, const EfficiencyTable& efficiency);

// One collective of `bytes` per rank (s): 0 for one rank. kBadInput naming the
// catalog column to fill when a link it needs has no bandwidth, or when
// per_instance does not divide ranks.
Expected<double> collective_time_s(CollectiveKind kind, double bytes, std::int64_t ranks, std::int64_t per_instance,
                                   const ProjectionTarget& target, const LinkRows& links);

// One point-to-point send of `bytes` (a pipeline stage boundary), over the
// network when `crosses_instances`, else over the intra-node link (s).
Expected<double> send_time_s(double bytes, bool crosses_instances, const ProjectionTarget& target,
                             const LinkRows& links);

}  // namespace tb
