// The host CPU backend, in three registered flavours that differ in the GEMM
// library: "cpu" (OpenBLAS fp32, oneDNN bf16/fp16), "cpu-eigen" (Eigen fp32)
// and "cpu-onednn" (oneDNN for every dtype).
#pragma once

#include <memory>

#include "backends/backend.h"

namespace tb {

enum class CpuEngine { kDefault, kEigen, kOneDnn };

std::unique_ptr<Backend> make_cpu_backend(CpuEngine engine, const BackendOptions& options);

}  // namespace tb
