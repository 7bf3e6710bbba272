// The cost comparison as procurement reads it (docs/cost.md, "Cost table"):
// the rows of cost/cost_table.h as a text table with a units row and
// footnotes, as CSV and as JSON (field names carry their units), and the
// projection check of cost/comparison.h as a table.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cost/comparison.h"
#include "cost/cost_table.h"

namespace tb {

// Text table: header and units row, then one row per CostRow: instance,
// provenance, settings, tokens/s (instance), MFU %, USD/h, pricing, USD/1M
// tokens, USD/PFLOP-h, and when `train_tokens` > 0 the days and USD to train
// them, then price source and date. "-" for what is unknown; notes as
// footnotes under the table; the token budget named in a title line.
std::string render_cost_table(const std::vector<CostRow>& rows, double train_tokens);
std::string render_cost_csv(const std::vector<CostRow>& rows, double train_tokens);  // header row with units in names
nlohmann::json cost_rows_to_json(const std::vector<CostRow>& rows, double train_tokens);  // field names carry units

// The projection check: per measured item, measured and projected time and
// the error, then the step's error and the largest GEMM's against the 25% target.
std::string render_check_table(const Comparison& comparison);

}  // namespace tb
