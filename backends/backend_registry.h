// Every backend trainbench can be asked for by name. Backends whose vendor
// runtime is missing still register: they report unavailable with a reason.
#pragma once

#include <memory>
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
};

const std::vector<BackendEntry>& backend_entries();

// The named backend; kBadInput for an unknown name (listing the known ones),
// kUnavailable when it cannot run on this machine (with the reason).
Expected<std::unique_ptr<Backend>> create_backend(std::string_view name, const BackendOptions& options);

}  // namespace tb
