// Reading the CSV that trainbench writes (RFC 4180) back into rows and columns.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tbtest {

// Rows of fields. Quoted fields may hold commas, newlines and doubled quotes;
// a malformed quote (inside an unquoted field, after a closing quote, or left
// open) is a test failure. A final newline ends the last row; it does not add one.
std::vector<std::vector<std::string>> parse_csv(const std::string& text);

// The index of the column `name` in `header`; throws std::out_of_range when absent.
std::size_t column(const std::vector<std::string>& header, const std::string& name);

}  // namespace tbtest
