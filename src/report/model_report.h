// What run --model prints after its table: the model and step, the step's
// breakdown per item and per class, the cost table of this machine and the
// projected instances, and the projection check (docs/cost.md).
#pragma once

#include <string>

#include "cost/comparison.h"
#include "record/run_record.h"

namespace tb {

// The breakdown (per item and per class), the cost table and the projection check.
std::string render_model_report(const ModelRunRecord& run, const Comparison& comparison);

}  // namespace tb
