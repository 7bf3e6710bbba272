// The "model_run" object of a result file (docs/results.md): the model shape
// and run settings, every step item with the time the run gave it, the
// composed step and the cost comparison shown at the end of `run --model`.
#pragma once

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_reader.h"
#include "record/run_record.h"

namespace tb {

nlohmann::json model_run_to_json(const ModelRunRecord& run);

// Reads the shape, settings, items and step back; the comparison rows are
// output only (trainbench cost recomputes them) and come back empty.
Expected<ModelRunRecord> model_run_from_json(const json_io::Reader& r);

}  // namespace tb
