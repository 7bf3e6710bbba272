// Every backend trainbench can be asked for by name. Backends whose vendor
// runtime is missing still register: they report unavailable with a reason.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backends/backend.h"
#include "common/error.h"

namespace tb {

struct BackendEntry {
  std::string name;
  std::string summary;
  std::unique_ptr<Backend> (*create)(const BackendOptions&);
  std::span<const BackendOptionSpec> options;  // its own command-line options (empty for most)
};

const std::vector<BackendEntry>& backend_entries();

// --backend auto: the accelerator in hand. The backends of auto_backend_order()
// are tried in turn, and the first whose available() is ok is kept.
inline constexpr std::string_view kAutoBackend = "auto";
const std::vector<std::string>& auto_backend_order();  // cuda, neuron, cpu

struct AutoChoice {
  struct PassedOver {
    std::string name;
    std::string reason;  // why it was not chosen: its available() error, or "not tried: cuda was chosen"
  };
  std::string chosen;  // empty when none was available
  std::vector<PassedOver> passed_over;
  // "auto: chose cpu\n  not cuda: no CUDA device (...)\n  not neuron: no usable Neuron runtime (...)"
  std::string describe() const;
};

// Tries `order` through `create` (a name to a backend, or its error) and
// keeps the first that is available, recording each one passed over in
// `choice`. kUnavailable, naming each reason, when none is.
using BackendFactory = std::function<Expected<std::unique_ptr<Backend>>(const std::string& name)>;
Expected<std::unique_ptr<Backend>> choose_backend(const std::vector<std::string>& order, const BackendFactory& create,
                                                  AutoChoice& choice);

// The named backend; kBadInput for an unknown name (listing the known ones),
// kUnavailable when it cannot run on this machine (with the reason). For
// "auto", the choice is recorded in `choice` when it is given.
Expected<std::unique_ptr<Backend>> create_backend(std::string_view name, const BackendOptions& options,
                                                  AutoChoice* choice = nullptr);

}  // namespace tb
