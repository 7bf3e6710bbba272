// Human and spreadsheet views of a RunRecord, derived from the same record as
// the JSON file. The table has a units row; CSV column names carry units.
#pragma once

#include <string>

#include "runner/result.h"

namespace tb {

// Aligned table: a header row, a units row, one row per problem, then notes
// (reasons for failures and skips, warnings, reproducers of failures).
std::string render_table(const RunRecord& record);

// The table's header and units rows and one row for `result`, as the runner
// prints progressively; render_table is the same rows for every result.
std::string render_table_header();
std::string render_table_row(const RunRecord& record, const ProblemResult& result);

// RFC 4180 CSV: one header row (names with units), one row per problem.
std::string render_csv(const RunRecord& record);

}  // namespace tb
