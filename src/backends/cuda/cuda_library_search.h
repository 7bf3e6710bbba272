// Where the CUDA backend looks for the NVIDIA libraries it loads at run time
// with dlopen (cuBLASLt, cuDNN, NCCL): docs/cuda.md#what-is-loaded-how.
#pragma once

#include <string>
#include <vector>

#include "common/shared_library.h"

namespace tb::cuda {

// Environment variable naming a directory searched before everything else.
inline constexpr const char* kCudaLibDirEnvVar = "TRAINBENCH_CUDA_LIB_DIR";

// A non-empty `env_dir` (source "TRAINBENCH_CUDA_LIB_DIR") is used alone:
// falling back from a chosen library to another would silently measure a
// different one. Otherwise, in order: the loader's search path (bare name,
// "loader search path"), `cuda_home`/lib64 and /lib ("CUDA_HOME", when set),
// /usr/local/cuda/lib64 and /lib ("default install"). Each place with each of
// `names` in order.
std::vector<LibraryCandidate> cuda_library_search_order(const std::vector<std::string>& names,
                                                        const std::string& env_dir, const std::string& cuda_home);

// cuda_library_search_order(names, $TRAINBENCH_CUDA_LIB_DIR, $CUDA_HOME).
std::vector<LibraryCandidate> cuda_library_candidates(const std::vector<std::string>& names);

// The last part of a "no usable <library>" message: with TRAINBENCH_CUDA_LIB_DIR
// set, that nothing else was searched; otherwise "install <what> or set
// TRAINBENCH_CUDA_LIB_DIR to the directory holding <file>".
std::string cuda_library_hint(const std::string& what, const std::string& file);

}  // namespace tb::cuda
