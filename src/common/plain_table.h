// Rows as an aligned plain-text table (the first rows are usually the header
// and the units row): columns separated by two blanks, the columns marked in
// `numeric` right-aligned, no trailing blanks.
#pragma once

#include <string>
#include <vector>

namespace tb {

std::string render_rows(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& numeric);

}  // namespace tb
