// All-reduce with NCCL across the GPUs of one node from one process: one
// communicator per device (ncclCommInitAll), each rank's buffer on its own
// device, one stream per device, the collective launched for all devices in a
// ncclGroupStart/End. libnccl.so.2 is loaded at run time (dlopen), so a
// machine without NCCL reports the backend's all-reduce as unsupported with
// the places searched. The nccl-tests figures (algbw, busbw) come from the
// runner as for every all-reduce (docs/allreduce.md). Multi-node (one process
// per GPU, NCCL id broadcast with MPI): documented in docs/cuda.md, not built.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"

namespace tb::cuda {

// Supported when NCCL loads, the problem's ranks <= visible devices, its
// transport is threads (one process) and its dtype/op map to NCCL's; the
// reason names what is missing.
Support nccl_allreduce_support(const Problem& problem, int visible_devices);

// Device bytes prepare() allocates for `problem` on each device (B).
std::int64_t nccl_allreduce_device_bytes(const Problem& problem);

// Allocates the per-device buffers, uploads each rank's input from `inputs`
// (as the problem's make_inputs gives them, rank-major), creates the
// communicators. read_outputs() returns every rank's output.
Expected<std::unique_ptr<Workload>> make_nccl_allreduce_workload(const ProblemPtr& problem,
                                                                 const std::vector<HostTensor>& inputs);

// "NCCL 2.28.9" when it loads, else the reason it did not.
std::string nccl_version_or_reason();

}  // namespace tb::cuda
