// Human and spreadsheet views of a RunRecord, derived from the same record as
// the JSON file. The table has a units row; CSV column names carry units.
#pragma once

#include <string>

#include "record/run_record.h"

namespace tb {

// Aligned table: a header row, a units row, one row per problem, then notes
// (reasons for failures and skips, warnings, reproducers of failures).
std::string render_table(const RunRecord& record);

// The table's header and units rows and one row for `result`, as the runner
// prints progressively; render_table is the same rows for every result.
// `problem_width`: characters of the problem column (render_table uses the
// longest problem string, at least kMinProblemWidth).
inline constexpr int kMinProblemWidth = 44;
std::string render_table_header(int problem_width = kMinProblemWidth);
std::string render_table_row(const RunRecord& record, const ProblemResult& result,
                             int problem_width = kMinProblemWidth);

// RFC 4180 CSV: one header row (names with units), one row per problem.
std::string render_csv(const RunRecord& record);

}  // namespace tb
