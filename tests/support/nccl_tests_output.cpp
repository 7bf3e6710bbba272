#include "support/nccl_tests_output.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "support/text.h"

namespace tbtest {
namespace {

std::vector<std::string> split_blanks(const std::string& line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < line.size()) {
    if (std::isspace(static_cast<unsigned char>(line[i]))) {
      ++i;
      continue;
    }
    const std::size_t begin = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    words.push_back(line.substr(begin, i - begin));
  }
  return words;
}

bool is_integer(const std::string& word) {
  const std::size_t start = !word.empty() && word[0] == '-' ? 1 : 0;
  return word.size() > start &&
         std::all_of(word.begin() + static_cast<long>(start), word.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

const std::set<std::string> kTypes = {"int8",  "uint8", "int32",  "uint32",   "int64",  "uint64",
                                      "half",  "float", "double", "bfloat16", "f8e4m3", "f8e5m2"};
const std::set<std::string> kOps = {"sum", "prod", "max", "min", "avg", "mulsum"};

}  // namespace

std::optional<double> nccl_number(const std::string& cell) {
  if (cell.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(cell.c_str(), &end);
  if (end == cell.c_str() || *end != '\0') return std::nullopt;
  return v;
}

NcclTestsOutput parse_nccl_tests_output(const std::string& text) {
  NcclTestsOutput out;
  const std::vector<std::string> lines = lines_of(text);
  NcclTestsRun* run = nullptr;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const std::vector<std::string> words = split_blanks(line);
    if (starts_with(line, "#")) {
      if (line.find("time") != std::string::npos && line.find("busbw") != std::string::npos) {
        out.runs.emplace_back();
        run = &out.runs.back();
        if (i >= 1 && i + 1 < lines.size()) run->header_lines = {lines[i - 1], line, lines[i + 1]};
        run->titles.assign(words.begin() + 1, words.end());
        const auto first = std::find(run->titles.begin(), run->titles.end(), "busbw");
        const auto last = std::find(run->titles.rbegin(), run->titles.rend(), "busbw");
        const int n = static_cast<int>(run->titles.size());
        if (first != run->titles.end()) {
          run->busbw_from_end_out_of_place = static_cast<int>(first - run->titles.begin()) - n;
          run->busbw_from_end_in_place = n - 1 - static_cast<int>(last - run->titles.rbegin()) - n;
        }
      } else if (run != nullptr && starts_with(line, "# Out of bounds values")) {
        run->out_of_bounds_line = line;
      } else if (run != nullptr && starts_with(line, "# Avg bus bandwidth")) {
        run->average_line = line;
        const std::optional<double> last = words.empty() ? std::nullopt : nccl_number(words.back());
        const std::optional<double> sixth = words.size() > 5 ? nccl_number(words[5]) : std::nullopt;
        if (last && sixth && *last == *sixth) run->average = last;
      } else if (run != nullptr && starts_with(line, "# Collective test concluded: ")) {
        run->concluded = true;
      }
      continue;
    }
    if (words.empty()) continue;
    if (!is_integer(words[0])) {
      out.problems.push_back("not a row, yet no '#': " + line);
      continue;
    }
    if (words.size() != 13) {
      out.problems.push_back("wrong field count " + std::to_string(words.size()) + ": " + line);
      continue;
    }
    if (run == nullptr) {
      out.problems.push_back("a row before any column titles: " + line);
      continue;
    }
    if (kTypes.count(words[2]) == 0) out.problems.push_back("not an nccl-tests type: " + line);
    if (kOps.count(words[3]) == 0) out.problems.push_back("not an nccl-tests redop: " + line);
    NcclTestsRow row;
    row.line = line;
    row.size = std::stoll(words[0]);
    row.count = is_integer(words[1]) ? std::stoll(words[1]) : -1;
    row.type = words[2];
    row.redop = words[3];
    row.root = words[4];
    row.out_of_place = {words[5], words[6], words[7], words[8]};
    row.in_place = {words[9], words[10], words[11], words[12]};
    run->rows.push_back(row);
  }
  return out;
}

}  // namespace tbtest
