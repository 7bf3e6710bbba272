#include "cost/projection.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace tb {
namespace {

Status in_range(const char* name, double value, double lo, double hi, bool lo_open) {
  const bool ok = std::isfinite(value) && (lo_open ? value > lo : value >= lo) && value <= hi;
  if (ok) return {};
  return bad_input(std::string(name) + " = " + std::to_string(value) + " is out of range: expected " +
                   (lo_open ? "> " : ">= ") + std::to_string(lo) + " and <= " + std::to_string(hi));
}

constexpr double kHuge = 1e30;

}  // namespace

Expected<double> projected_kernel_time_s(double flop, double bytes, const Roofline& d) {
  TB_RETURN_IF_ERROR(in_range("FLOP", flop, 0.0, kHuge, false));
  TB_RETURN_IF_ERROR(in_range("bytes", bytes, 0.0, kHuge, false));
  TB_RETURN_IF_ERROR(in_range("peak FLOP/s", d.peak_flop_per_s, 0.0, kHuge, true));
  TB_RETURN_IF_ERROR(in_range("memory bandwidth (B/s)", d.memory_bytes_per_s, 0.0, kHuge, true));
  TB_RETURN_IF_ERROR(in_range("compute efficiency", d.compute_efficiency, 0.0, 1.0, true));
  TB_RETURN_IF_ERROR(in_range("memory efficiency", d.memory_efficiency, 0.0, 1.0, true));
  TB_RETURN_IF_ERROR(in_range("launch overhead (s)", d.launch_overhead_s, 0.0, 1.0, false));
  const double compute = flop / (d.peak_flop_per_s * d.compute_efficiency);
  const double memory = bytes / (d.memory_bytes_per_s * d.memory_efficiency);
  return std::max(compute, memory) + d.launch_overhead_s;
}

Expected<double> projected_allreduce_time_s(double bytes, int ranks, const LinkModel& link) {
  TB_RETURN_IF_ERROR(in_range("bytes", bytes, 0.0, kHuge, false));
  TB_RETURN_IF_ERROR(in_range("ranks", ranks, 1.0, 1e9, false));
  TB_RETURN_IF_ERROR(in_range("link latency (s)", link.alpha_s, 0.0, 1.0, false));
  TB_RETURN_IF_ERROR(in_range("link bandwidth (B/s)", link.bandwidth_bytes_per_s, 0.0, kHuge, true));
  TB_RETURN_IF_ERROR(in_range("link efficiency", link.efficiency, 0.0, 1.0, true));
  if (ranks == 1) return 0.0;
  const double bus_factor = 2.0 * (ranks - 1) / ranks;
  return link.alpha_s + bytes * bus_factor / (link.bandwidth_bytes_per_s * link.efficiency);
}

double projection_error(double projected_s, double measured_s) { return (projected_s - measured_s) / measured_s; }

}  // namespace tb
