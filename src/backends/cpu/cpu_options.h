// The cpu backend's command-line options (docs/attention.md), in the one
// table the CLI, the backend and its reproducer line read (backends/backend_option.h).
#pragma once

#include <span>

#include "backends/backend_option.h"

namespace tb {

// --cpu-attention.
std::span<const BackendOptionSpec> cpu_options();

// Indices into cpu_options(), for reading a value.
enum CpuOption { kCpuAttention };

}  // namespace tb
