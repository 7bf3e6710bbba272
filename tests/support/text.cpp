#include "support/text.h"

#include <gtest/gtest.h>

#include <sstream>

namespace tbtest {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void expect_contains_all(const std::string& text, const std::vector<std::string>& needles,
                         std::source_location where) {
  for (const std::string& needle : needles) {
    if (!contains(text, needle)) {
      ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
          << "'" << text << "' lacks '" << needle << "'";
    }
  }
}

}  // namespace tbtest
