// Captures where and how a run happens, for the context block of its record.
#pragma once

#include <string>

#include "runner/result.h"
#include "runner/runner.h"

namespace tb {

RunContext capture_context(const Backend& backend, const DeviceInfo& device, const RunOptions& options,
                           const std::string& command_line, const std::string& executable);

}  // namespace tb
