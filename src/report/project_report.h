// `trainbench project` and `trainbench validate` as text tables (with a
// units row), CSV and JSON (field names carry their units; docs/cost.md,
// "Projecting a training job" lists every field).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cost/calibration.h"
#include "cost/job_projection.h"

namespace tb {

// One object per instance row, every field once (table, CSV and JSON read it).
nlohmann::ordered_json job_row_to_json(const JobRow& row);
nlohmann::ordered_json job_to_json(const JobProjection& job);
std::string render_job_csv(const JobProjection& job);
// The table, then footnotes: rows that do not fit (with the memory they
// need), skipped instances, price sources, the MFU conventions.
std::string render_job_table(const JobProjection& job);

nlohmann::ordered_json validation_to_json(const ValidationReport& report);
// Per row published vs projected and the leave-one-out projection, then the
// mean absolute errors per device class and overall.
std::string render_validation_table(const ValidationReport& report);

}  // namespace tb
