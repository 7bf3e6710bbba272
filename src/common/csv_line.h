// One line of a CSV file as the catalog, efficiency and price files use it:
// RFC 4180 without line breaks inside quoted fields. Shared by the instance
// catalog and efficiency table readers and the price importers.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"

namespace tb {

// `s` without leading and trailing blanks and tabs.
std::string trim(const std::string& s);

// Splits one CSV line. Unquoted fields are trimmed; quoted fields keep their
// text, with "" for a quote. Errors (kBadInput) start with `where` ("file:line").
Expected<std::vector<std::string>> split_csv_line(const std::string& line, const std::string& where);

// One numeric cell: a finite decimal ("1.5", "+2", "-3", "1e3"), or nullopt
// when `text` is empty. Range checks are the caller's. kBadInput
// "<where>: <column> '<text>' is not a number: expected a decimal like 1.5" otherwise.
Expected<std::optional<double>> parse_csv_number(const std::string& text, const std::string& column,
                                                 const std::string& where);

// One record of a CSV file: a line that is neither blank nor a comment.
struct CsvRecord {
  int line = 0;                     // 1-based line number in the file
  std::string where;                // "<path>:<line>", the prefix of every message about it
  std::vector<std::string> fields;  // as split_csv_line splits it
};

// The records of a CSV file's `text`, in order: every line except blank ones
// and comments (first non-blank character '#'), a CRLF's CR removed. The
// first record is the header. Errors of split_csv_line name "<path>:<line>".
Expected<std::vector<CsvRecord>> csv_records(const std::string& text, const std::string& path);

// Column name -> field index of a header record. kBadInput naming
// header.where for a name not in `known` ("unknown column 'x': expected
// <expected>"), a name that appears twice, or a `required` name missing
// ("missing required column 'x'").
Expected<std::map<std::string, std::size_t>> csv_header_columns(const CsvRecord& header,
                                                                std::span<const char* const> known,
                                                                std::span<const char* const> required,
                                                                const std::string& expected);

// kBadInput "<where>: N fields: expected M, as in the header" unless `record`
// has `header_fields` fields.
Status check_csv_field_count(const CsvRecord& record, std::size_t header_fields);

}  // namespace tb
