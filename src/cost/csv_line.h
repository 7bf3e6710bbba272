// One line of a CSV file as the catalog and price files use it: RFC 4180
// without line breaks inside quoted fields. Shared by the instance catalog
// reader and the price importers.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace tb {

// `s` without leading and trailing blanks and tabs.
std::string trim(const std::string& s);

// Splits one CSV line. Unquoted fields are trimmed; quoted fields keep their
// text, with "" for a quote. Errors (kBadInput) start with `where` ("file:line").
Expected<std::vector<std::string>> split_csv_line(const std::string& line, const std::string& where);

}  // namespace tb
