// The JSON result file: Google Benchmark's shape (a "context" object and a
// "benchmarks" array, readable by GB's tools/compare.py) plus our "results"
// array with one record per problem. The schema, with units, is in
// docs/results.md; kResultSchemaVersion changes when a field changes meaning.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"
#include "record/run_record.h"

namespace tb {

inline constexpr int kResultSchemaVersion = 1;

nlohmann::json to_json(const RunRecord& record);
// Validates and reads a result document; errors name the offending field.
Expected<RunRecord> from_json(const nlohmann::json& doc);

// Where a run's result file goes: <dir>/<UTC time>_<backend>_<host>, without
// the .json extension (create_result_file adds it, or -2.json, -3.json ...
// when taken); characters of the host name other than letters, digits and '-' become '_'.
std::string result_file_stem(const std::string& dir, const RunContext& context);

// Writes the record atomically (temporary file, fsync, rename).
Status write_result_file(const std::string& path, const RunRecord& record);
// Creates a new result file `stem`.json, or `stem`-2.json, -3, ... when taken
// (never replacing another run's file); returns the path written.
Expected<std::string> create_result_file(const std::string& stem, const RunRecord& record);
// Reads and validates a result file; errors name the file and what is wrong.
Expected<RunRecord> read_result_file(const std::string& path);

}  // namespace tb
