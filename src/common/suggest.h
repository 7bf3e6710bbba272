// "Did you mean ...?" for unknown names (models, instances): the edit
// distance, and the nearest candidates within a distance that still reads as
// a typo.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tb {

// Levenshtein distance: insertions, deletions and substitutions of one character each.
std::size_t edit_distance(std::string_view a, std::string_view b);

// Up to `most` candidates at the smallest distance from `name`, when that
// distance is at most max(3, |name| / 3); none otherwise. In candidate order.
std::vector<std::string> nearest_names(std::string_view name, const std::vector<std::string>& candidates,
                                       std::size_t most = 3);

// "'a'", "'a' or 'b'", "'a', 'b' or 'c'".
std::string quoted_alternatives(const std::vector<std::string>& names);

}  // namespace tb
