#include "cost/collective_model.h"

#include "cost/projection.h"

namespace tb {
namespace {

Expected<double> intra_bandwidth(const ProjectionTarget& t) {
  if (t.intra_link_bytes_per_s > 0) return t.intra_link_bytes_per_s;
  return bad_input("a collective inside the instance needs its intra-node link bandwidth, which is "
                   "unknown: fill intra_node_link_gb_per_s in the catalog");
}

Expected<double> network_bandwidth(const ProjectionTarget& t) {
  if (t.network_bytes_per_s > 0) return t.network_bytes_per_s;
  return bad_input("a collective across instances needs the network bandwidth, which is unknown: fill "
                   "network_gbit_per_s in the catalog");
}

// One ring stage over `k` ranks: alpha + f (k - 1) / k bytes / (bandwidth x efficiency).
Expected<double> ring_s(double factor, double bytes, std::int64_t k, double bandwidth, const EfficiencyRow& row) {
  if (k <= 1) return 0.0;
  // projected_allreduce_time_s charges 2 (k - 1) / k; a reduce-scatter or all-gather half of it.
  TB_ASSIGN_OR_RETURN(const double all_reduce,
                      projected_allreduce_time_s(bytes, static_cast<int>(k), LinkModel{0.0, bandwidth, row.link}));
  return row.alpha_s + all_reduce * factor / 2.0;
}

}  // namespace

Expected<LinkRows> link_rows(const ProjectionTarget& target, const EfficiencyTable& efficiency) {
  LinkRows rows;
  TB_ASSIGN_OR_RETURN(rows.intra, efficiency.find(target.device_class, "allreduce"));
  TB_ASSIGN_OR_RETURN(rows.network, efficiency.find(target.device_class, kNetworkOp));
  return rows;
}

Expected<double> collective_time_s(CollectiveKind kind, double bytes, std::int64_t ranks, std::int64_t per_instance,
                                   const ProjectionTarget& target, const LinkRows& links) {
  if (ranks <= 1) return 0.0;
  if (per_instance < 1 || ranks % per_instance != 0) {
    return bad_input("a collective over " + std::to_string(ranks) + " ranks with " + std::to_string(per_instance) +
                     " in each instance: expected the instances to hold equal shares");
  }
  const double factor = kind == CollectiveKind::kAllReduce ? 2.0 : 1.0;
  const std::int64_t instances = ranks / per_instance;
  double seconds = 0.0;
  if (per_instance > 1) {
    TB_ASSIGN_OR_RETURN(const double bandwidth, intra_bandwidth(target));
    TB_ASSIGN_OR_RETURN(const double intra, ring_s(factor, bytes, per_instance, bandwidth, links.intra));
    seconds += intra;
  }
  if (instances > 1) {
    TB_ASSIGN_OR_RETURN(const double bandwidth, network_bandwidth(target));
    const double share = bytes / static_cast<double>(per_instance);
    TB_ASSIGN_OR_RETURN(const double across, ring_s(factor, share, instances, bandwidth, links.network));
    seconds += across;
  }
  return seconds;
}

Expected<double> send_time_s(double bytes, bool crosses_instances, const ProjectionTarget& target,
                             const LinkRows& links) {
  const EfficiencyRow& row = crosses_instances ? links.network : links.intra;
  TB_ASSIGN_OR_RETURN(const double bandwidth, crosses_instances ? network_bandwidth(target) : intra_bandwidth(target));
  return row.alpha_s + bytes / (bandwidth * row.link);
}

}  // namespace tb
