// The neuron backend's command-line options (docs/neuron.md), in the one
// table the CLI, the backend and its reproducer line read
// (backends/backend_option.h).
#pragma once

#include <span>

#include "backends/backend_option.h"

namespace tb {

// --neuron-runtime, --neuron-manifest, --instance-type, --nccom-test.
std::span<const BackendOptionSpec> neuron_options();

// Indices into neuron_options(), for reading a value.
enum NeuronOption { kNeuronRuntime, kNeuronManifest, kNeuronInstanceType, kNeuronNccomTest };

}  // namespace tb
