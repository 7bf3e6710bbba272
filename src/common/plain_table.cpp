#include "common/plain_table.h"

#include <algorithm>

namespace tb {

std::string render_rows(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& numeric) {
  if (rows.empty()) return {};
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) {
      const std::size_t pad = width[c] - row[c].size();
      if (c > 0) line += "  ";
      const bool right = c < numeric.size() && numeric[c];
      line += right ? std::string(pad, ' ') + row[c] : row[c] + std::string(pad, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace tb
