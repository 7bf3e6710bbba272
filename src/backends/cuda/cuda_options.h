// The cuda backend's command-line options (docs/cuda.md), in the one table
// the CLI, the backend and its reproducer line read (backends/backend_option.h).
// Compiled into every build, with or without the CUDA toolkit, so that the
// flags are always known.
#pragma once

#include <span>

#include "backends/backend_option.h"

namespace tb {

// --cuda-tf32, --cuda-cold-cache, --cuda-gemm-candidates, --cuda-attention.
std::span<const BackendOptionSpec> cuda_options();

// Indices into cuda_options(), for reading a value.
enum CudaOption { kCudaTf32, kCudaColdCache, kCudaGemmCandidates, kCudaAttention };

}  // namespace tb
