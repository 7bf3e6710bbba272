// Where the CUDA backend looks for the NVIDIA libraries it loads at run time
// with dlopen (cuBLASLt, cuDNN; NCCL has its own order, nccl_library.h):
// docs/cuda.md#what-is-loaded-how.
#pragma once

#include <string>
#include <vector>

#include "common/shared_library.h"

namespace tb::cuda {

// Environment variable naming a directory searched before everything else.
inline constexpr const char* kCudaLibDirEnvVar = "TRAINBENCH_CUDA_LIB_DIR";

// For each place in order — `env_dir` (source "TRAINBENCH_CUDA_LIB_DIR", when
// set), the loader's search path (bare name, "loader search path"),
// `cuda_home`/lib64 ("CUDA_HOME", when set), /usr/local/cuda/lib64 ("default
// install") — each of `names` in order.
std::vector<LibraryCandidate> cuda_library_search_order(const std::vector<std::string>& names,
                                                        const std::string& env_dir, const std::string& cuda_home);

// cuda_library_search_order(names, $TRAINBENCH_CUDA_LIB_DIR, $CUDA_HOME).
std::vector<LibraryCandidate> cuda_library_candidates(const std::vector<std::string>& names);

}  // namespace tb::cuda
