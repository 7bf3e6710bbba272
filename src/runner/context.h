// Captures where and how a run happens, for the context block of its record.
#pragma once

#include <string>
#include <string_view>

#include "record/run_record.h"
#include "runner/runner.h"

namespace tb {

RunContext capture_context(const Backend& backend, const DeviceInfo& device, const RunOptions& options,
                           const std::string& command_line, const std::string& executable);

// The same without a Backend object (run --backend projected): `backend_name`
// goes in the record's backend field.
RunContext capture_context(std::string_view backend_name, const DeviceInfo& device, const RunOptions& options,
                           const std::string& command_line, const std::string& executable);

}  // namespace tb
