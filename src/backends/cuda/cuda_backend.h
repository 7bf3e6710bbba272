// The CUDA backend, registered as "cuda" (docs/cuda.md): GEMM through
// cuBLASLt (cuda_gemm_workload.h), attention through our kernels
// (cuda_attention.h), all-reduce through NCCL (nccl_allreduce.h), on device 0
// (under mpirun: the rank's GPU, its node-local rank mod the visible devices).
// Available when the CUDA runtime (linked statically) sees a device; without
// one, available() says why ("no CUDA device: cudaGetDeviceCount: ...").
#pragma once

#include <memory>

#include "backends/backend.h"
#include "common/error.h"

namespace tb {

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& options);

namespace cuda {

// Ok when the CUDA runtime reports at least one device; otherwise kUnavailable
// "no CUDA device: cudaGetDeviceCount: cudaErrorNoDevice (no CUDA-capable
// device is detected)", or the driver's error (cudaErrorInsufficientDriver, ...).
Status device_status(int* device_count);

}  // namespace cuda
}  // namespace tb
