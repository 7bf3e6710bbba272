// What a compiled NEFF takes and returns, as the Neuron runtime reads it: the
// one source of tensor names, order, dtypes and shapes that compile_neffs.py
// writes into the manifest (through `trainbench neff-info`), and that the
// adapter checks every NEFF against before running it (check_tensor_info).
#pragma once

#include <string>
#include <vector>

#include "backends/neuron/neff_manifest.h"
#include "backends/neuron/nrt_handles.h"
#include "common/error.h"

namespace tb {

// The runtime's description of a loaded NEFF, converted: dtypes by
// nrt::nrt_dtype_name, in the runtime's order.
std::vector<RuntimeTensorInfo> runtime_tensor_info(const nrt::NrtTensorInfo& info);

// The environment variable the Neuron runtime reads the logical NeuronCore
// size from (physical cores per logical core; AWS's runtime configuration guide).
inline constexpr const char* kLogicalCoreSizeEnv = "NEURON_LOGICAL_NC_CONFIG";

// Makes the runtime about to be initialised in this process use logical
// cores of `lnc` physical cores, as the NEFFs were compiled: sets
// NEURON_LOGICAL_NC_CONFIG when it is unset; kBadInput naming both values when
// it is set to another (`whose` says whose NEFFs, for the message).
Status use_logical_core_size(int lnc, const std::string& whose);

struct NeffInfo {
  std::string runtime_version;             // "2.28.19.0"
  std::string runtime_library;             // the file the loader mapped
  std::vector<RuntimeTensorInfo> tensors;  // in the runtime's order
};

// Loads `neff_path` with the runtime (`runtime_path` as --neuron-runtime:
// empty searches as the backend does) under logical core size `lnc`, reads
// its tensor info, and releases everything (nrt_close) before returning: the
// NeuronCores are held for this call only. Errors: the runtime's, the NEFF
// file's (read_neff_file), nrt_load's.
Expected<NeffInfo> read_neff_info(const std::string& neff_path, const std::string& runtime_path, int lnc);

}  // namespace tb
