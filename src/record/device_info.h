// What a backend reports of its device: the facts a result records and the
// peaks its throughput is compared with. Pure data: backends fill it in
// (Backend::device_info(), src/backends/backend.h), the record carries it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/dtype.h"

namespace tb {

struct DeviceInfo {
  std::string name;              // e.g. "AMD EPYC 9R14"
  std::string kind;              // "cpu", "gpu", "neuron"
  int compute_units = 0;         // CPU threads used, GPU SMs, NeuronCores
  std::int64_t memory_bytes = 0;  // device memory available to a run (B)
  bool shares_host_memory = false;  // device buffers come out of host RAM (CPU backends)
  double memory_bandwidth_bytes_per_s = 0.0;  // 0 when unknown (B/s)
  std::map<DType, double> peak_flop_per_s;    // per dtype where known (FLOP/s)
  std::string peak_source;  // how the peaks were obtained: "measured: ..." or "spec: ..."
  std::vector<std::pair<std::string, std::string>> properties;  // library versions and other facts
};

// "2 threads", "132 SMs", "2 NeuronCores" by the device's kind; "" when 0
// (a Neuron backend with no runtime loaded, which measures all-reduce only).
std::string compute_units_text(const DeviceInfo& device);

}  // namespace tb
