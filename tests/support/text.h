// Looking into text a test captured: output, messages, rendered reports.
#pragma once

#include <source_location>
#include <string>
#include <vector>

namespace tbtest {

// The lines of `text`, without their '\n'; a final newline adds no empty line.
std::vector<std::string> lines_of(const std::string& text);

bool contains(const std::string& haystack, const std::string& needle);

// Expects `text` to contain each of `needles`: one expectation per needle,
// reported at the caller's line and showing the whole text.
void expect_contains_all(const std::string& text, const std::vector<std::string>& needles,
                         std::source_location where = std::source_location::current());

}  // namespace tbtest
