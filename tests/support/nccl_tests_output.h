// nccl-tests' all_reduce_perf output read the way its third-party parsers
// read it (docs/allreduce.md, "Reading it with nccl-tests' parsers"), so that
// a test can hold trainbench's table to the same rules as a genuine output:
// - a data row is a line that does not start with '#' and whose first word is
//   an integer; split on blanks it has exactly 13 fields, mapped by position
//   (NVIDIA/cloudai);
// - the column titles line is the '#' line holding "time" and "busbw"; the
//   busbw columns are found counting from the end, the first occurrence
//   out-of-place, the last in-place (microsoft/superbenchmark);
// - the average is the last word of the "# Avg bus bandwidth" line (awk's $NF,
//   FlagOpen/FlagPerf) and its 6th word (Azure/azurehpc-health-checks), read
//   as a number;
// - the type and redop cells are nccl-tests' names.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tbtest {

struct NcclTestsSide {  // one side of a row, as printed
  std::string time_us, algbw, busbw, wrong;
};

struct NcclTestsRow {
  std::string line;
  long long size = -1, count = -1;
  std::string type, redop, root;
  NcclTestsSide out_of_place, in_place;
};

// One run of the tool: from its column titles to its average line.
struct NcclTestsRun {
  std::vector<std::string> header_lines;  // the three lines above the rows, as printed (whitespace kept)
  std::vector<std::string> titles;        // the words of the titles line without '#'
  int busbw_from_end_out_of_place = 0;    // position of busbw counted from the end (-6 in nccl-tests)
  int busbw_from_end_in_place = 0;        // (-2)
  std::vector<NcclTestsRow> rows;
  std::string out_of_bounds_line;
  std::string average_line;
  std::optional<double> average;  // both the last word and the 6th word, when they agree and are numbers
  bool concluded = false;         // a "# Collective test concluded: " line follows
};

struct NcclTestsOutput {
  std::vector<NcclTestsRun> runs;
  // Lines that would trip a parser: not '#' and not empty, yet not a 13-field
  // row of nccl-tests' names ("wrong field count: LINE", "unknown type: LINE").
  std::vector<std::string> problems;
};

NcclTestsOutput parse_nccl_tests_output(const std::string& text);

// A cell as a number ("12.5" -> 12.5); empty for "N/A" or anything else.
std::optional<double> nccl_number(const std::string& cell);

}  // namespace tbtest
