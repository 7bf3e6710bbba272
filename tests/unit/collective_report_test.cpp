// The nccl-tests view of collective results (render_collective_table), the
// average bus bandwidth and its floor (--min-busbw), and how render_table
// splits compute kernels and collectives between its two tables.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "report/collective_report.h"
#include "report/result_json.h"
#include "report/text_report.h"
#include "support/sample_record.h"
#include "support/text.h"

namespace tb {
namespace {

using tbtest::allreduce_problem;
using tbtest::allreduce_result;
using tbtest::contains;
using tbtest::expect_contains_all;
using tbtest::lines_of;

constexpr std::int64_t k1M = 1048576;
constexpr std::int64_t k64K = 65536;
constexpr std::int64_t k1K = 1024;

// Figures worked by hand, 4 ranks (bus factor 2 (4 - 1) / 4 = 1.5), GB = 1e9 B:
//   1 MiB out of place, median 1e-4 s: algbw 1048576 / 1e-4 = 10.48576 GB/s, busbw 15.72864 GB/s;
//   1 MiB in place,     median 2e-4 s: algbw  5.24288 GB/s,              busbw  7.86432 GB/s;
//   1 KiB out of place failed with 3 wrong elements, no in-place twin;
//   64 KiB in place: error (verified, then the timing failed), no out-of-place twin.
// Average busbw over the passed: (15.72864 + 7.86432) / 2 = 11.79648 GB/s.
RunRecord sample_record() {
  RunRecord rec;
  rec.context.backend = "cpu";
  rec.results = {allreduce_result(k1M, 4, false, ResultStatus::kPassed, 1e-4),
                 allreduce_result(k1K, 4, false, ResultStatus::kFailed, 0.0, 3),
                 allreduce_result(k1M, 4, true, ResultStatus::kPassed, 2e-4),
                 allreduce_result(k64K, 4, true, ResultStatus::kError)};
  return rec;
}

// The whitespace-separated words of `line`, each with the column just past its last character.
std::vector<std::pair<std::string, std::size_t>> words(const std::string& line) {
  std::vector<std::pair<std::string, std::size_t>> out;
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ') {
      ++i;
      continue;
    }
    const std::size_t begin = i;
    while (i < line.size() && line[i] != ' ') ++i;
    out.emplace_back(line.substr(begin, i - begin), i);
  }
  return out;
}

std::vector<std::string> texts(const std::vector<std::pair<std::string, std::size_t>>& ws) {
  std::vector<std::string> out;
  for (const auto& w : ws) out.push_back(w.first);
  return out;
}

// The data rows of a collective table: lines that do not start with '#'.
std::vector<std::string> data_rows(const std::string& table) {
  std::vector<std::string> out;
  for (const std::string& line : lines_of(table)) {
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

// ---- The table ---------------------------------------------------------------------

TEST(CollectiveReportTest, HeaderHasColumnTitlesAndAUnitsRow) {
  const std::vector<std::string> lines = lines_of(render_collective_table(sample_record()));
  ASSERT_GE(lines.size(), 3u);
  expect_contains_all(lines[0], {"out-of-place", "in-place"});
  EXPECT_LT(lines[0].find("out-of-place"), lines[0].find("in-place"));
  EXPECT_EQ(texts(words(lines[1])),
            (std::vector<std::string>{"#", "size", "count", "type", "redop", "ranks", "algo", "transport", "time",
                                      "algbw", "busbw", "#wrong", "time", "algbw", "busbw", "#wrong"}));
  EXPECT_EQ(texts(words(lines[2])),
            (std::vector<std::string>{"#", "(B)", "(elements)", "(us)", "(GB/s)", "(GB/s)", "(elem.)", "(us)",
                                      "(GB/s)", "(GB/s)", "(elem.)"}));
}

TEST(CollectiveReportTest, PairsOutOfPlaceAndInPlaceIntoOneRowInFirstSeenOrder) {
  const std::vector<std::string> rows = data_rows(render_collective_table(sample_record()));
  ASSERT_EQ(rows.size(), 3u) << "1 MiB (both), 1 KiB, 64 KiB";
  EXPECT_EQ(texts(words(rows[0])),
            (std::vector<std::string>{"1048576", "262144", "fp32", "sum", "4", "ring", "threads",  //
                                      "100.00", "10.486", "15.729", "0",                           // out of place
                                      "200.00", "5.243", "7.864", "0"}));                          // in place
  EXPECT_EQ(words(rows[1])[0].first, "1024");
  EXPECT_EQ(words(rows[2])[0].first, "65536");
}

TEST(CollectiveReportTest, MissingTwinIsDashesAndUntimedResultsShowTheirStatus) {
  const std::vector<std::string> rows = data_rows(render_collective_table(sample_record()));
  ASSERT_EQ(rows.size(), 3u);
  // Failed: the status in the time column, no bandwidths, the wrong count; no in-place twin.
  EXPECT_EQ(texts(words(rows[1])), (std::vector<std::string>{"1024", "256", "fp32", "sum", "4", "ring", "threads",
                                                             "failed", "-", "-", "3", "-", "-", "-", "-"}));
  // Error: no wrong count (it was not what failed); no out-of-place twin.
  EXPECT_EQ(texts(words(rows[2])), (std::vector<std::string>{"65536", "16384", "fp32", "sum", "4", "ring", "threads",
                                                             "-", "-", "-", "-", "error", "-", "-", "-"}));
}

TEST(CollectiveReportTest, ColumnsAreRightAlignedUnderTheirTitles) {
  const std::vector<std::string> lines = lines_of(render_collective_table(sample_record()));
  ASSERT_GE(lines.size(), 6u);
  std::vector<std::size_t> title_ends;
  for (const auto& [text, end] : words(lines[1])) {
    if (text != "#") title_ends.push_back(end);
  }
  ASSERT_EQ(title_ends.size(), 15u);
  for (const std::string& row : data_rows(render_collective_table(sample_record()))) {
    const auto ws = words(row);
    ASSERT_EQ(ws.size(), title_ends.size()) << row;
    for (std::size_t i = 0; i < ws.size(); ++i) EXPECT_EQ(ws[i].second, title_ends[i]) << ws[i].first << " in " << row;
  }
  // Every unit ends where its column's title ends.
  for (const auto& [text, end] : words(lines[2])) {
    if (text == "#") continue;
    EXPECT_NE(std::find(title_ends.begin(), title_ends.end(), end), title_ends.end()) << text;
  }
}

TEST(CollectiveReportTest, InPlaceSeenFirstStillPairsAndKeepsItsPosition) {
  RunRecord rec;
  rec.context.backend = "cpu";
  rec.results = {allreduce_result(k1K, 2, true, ResultStatus::kPassed, 1e-5),
                 allreduce_result(k1M, 2, false, ResultStatus::kPassed, 1e-4),
                 allreduce_result(k1K, 2, false, ResultStatus::kPassed, 2e-5),
                 allreduce_result(k1M, 2, true, ResultStatus::kPassed, 2e-4)};
  const std::vector<std::string> rows = data_rows(render_collective_table(rec));
  ASSERT_EQ(rows.size(), 2u);
  const auto first = texts(words(rows[0]));
  ASSERT_EQ(first.size(), 15u);
  EXPECT_EQ(first[0], "1024");
  EXPECT_EQ(first[7], "20.00") << "out-of-place time (us), though the in-place result came first";
  EXPECT_EQ(first[11], "10.00") << "in-place time (us)";
  // 2 ranks: bus factor 1, busbw = algbw = 1024 / 1e-5 = 0.1024 GB/s.
  EXPECT_EQ(first[12], "0.102");
  EXPECT_EQ(first[13], "0.102");
  EXPECT_EQ(words(rows[1])[0].first, "1048576");
}

TEST(CollectiveReportTest, OnlyProblemsDifferingJustInInplaceArePaired) {
  RunRecord rec;
  rec.context.backend = "cpu";
  ProblemResult mpi = allreduce_result(k1M, 4, true, ResultStatus::kPassed);
  mpi.problem = "allreduce:bytes=1M,dtype=fp32,op=sum,ranks=4,inplace=1,algo=mpi,transport=threads";
  mpi.collective->algo = "mpi";
  rec.results = {allreduce_result(k1M, 4, false, ResultStatus::kPassed),   // row 1
                 allreduce_result(k1M, 2, true, ResultStatus::kPassed),    // row 2: other ranks
                 mpi,                                                      // row 3: other algo
                 allreduce_result(k1M, 4, true, ResultStatus::kPassed)};  // row 1's twin
  const std::vector<std::string> rows = data_rows(render_collective_table(rec));
  ASSERT_EQ(rows.size(), 3u) << render_collective_table(rec);
  EXPECT_EQ(texts(words(rows[0]))[11], "100.00") << "row 1 has its in-place twin";
  EXPECT_EQ(texts(words(rows[1]))[4], "2");
  EXPECT_EQ(texts(words(rows[1]))[7], "-");
  EXPECT_EQ(texts(words(rows[2]))[5], "mpi");
  EXPECT_EQ(texts(words(rows[2]))[7], "-");
}

// The same problem twice (e.g. given twice on the command line): both stay visible.
TEST(CollectiveReportTest, ARepeatedProblemGetsItsOwnRow) {
  RunRecord rec;
  rec.context.backend = "cpu";
  rec.results = {allreduce_result(k1K, 4, false, ResultStatus::kPassed, 1e-5),
                 allreduce_result(k1K, 4, true, ResultStatus::kPassed, 1e-5),
                 allreduce_result(k1K, 4, false, ResultStatus::kPassed, 4e-5)};
  const std::vector<std::string> rows = data_rows(render_collective_table(rec));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(texts(words(rows[0]))[7], "10.00");
  EXPECT_EQ(texts(words(rows[1]))[7], "40.00");
  EXPECT_EQ(texts(words(rows[1]))[11], "-");
}

TEST(CollectiveReportTest, FooterCountsWrongElementsAndAveragesPassedBusbw) {
  const std::vector<std::string> lines = lines_of(render_collective_table(sample_record()));
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[lines.size() - 2], "# Out of bounds values : 3 FAILED");
  EXPECT_EQ(lines[lines.size() - 1], "# Avg bus bandwidth    : 11.796 GB/s");
  EXPECT_DOUBLE_EQ(average_busbw_gb_per_s(sample_record()), (15.72864 + 7.86432) / 2);
}

TEST(CollectiveReportTest, FooterIsOkWithoutWrongElements) {
  RunRecord rec;
  rec.results = {allreduce_result(k1M, 4, false, ResultStatus::kPassed, 1e-4)};
  const std::vector<std::string> lines = lines_of(render_collective_table(rec));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[4], "# Out of bounds values : 0 OK");
  EXPECT_EQ(lines[5], "# Avg bus bandwidth    : 15.729 GB/s");
}

TEST(CollectiveReportTest, NoCollectivesNoTable) {
  RunRecord rec;
  rec.results = {tbtest::skipped_fp16_result(), allreduce_result(k1K, 2, false, ResultStatus::kSkipped)};
  EXPECT_EQ(render_collective_table(rec), "");
  EXPECT_EQ(average_busbw_gb_per_s(rec), 0.0);
}

// `trainbench show` prints the table from the result file: the same table as the run.
TEST(CollectiveReportTest, TableIsTheSameAfterAJsonRoundTrip) {
  RunRecord rec = sample_record();
  rec.results.push_back(tbtest::skipped_fp16_result());
  const Expected<RunRecord> back = from_json(nlohmann::json::parse(to_json(rec).dump(2)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(render_collective_table(*back), render_collective_table(rec));
  EXPECT_EQ(render_table(*back), render_table(rec));
}

// ---- --min-busbw -------------------------------------------------------------------

TEST(CollectiveReportTest, MinBusbwFailsBelowTheFloorNamingBothNumbers) {
  const Status s = check_min_busbw(sample_record(), 12.5);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRunFailure);
  expect_contains_all(s.error().message, {"11.796 GB/s", "12.5 GB/s", "--min-busbw"});
}

TEST(CollectiveReportTest, MinBusbwPassesAtAndAboveTheFloor) {
  const RunRecord rec = sample_record();
  EXPECT_TRUE(check_min_busbw(rec, 11.0).ok());
  EXPECT_TRUE(check_min_busbw(rec, average_busbw_gb_per_s(rec)).ok()) << "exactly at the floor";
}

// Just below a floor that rounding to 3 decimals would reach: the message must still show a smaller number.
TEST(CollectiveReportTest, MinBusbwMessageDoesNotRoundUpToTheFloor) {
  RunRecord rec;
  // 2 ranks (bus factor 1): 1048576 B in 1048576 / 11.9996e9 s is 11.9996 GB/s.
  rec.results = {allreduce_result(k1M, 2, false, ResultStatus::kPassed, 1048576 / 11.9996e9)};
  const Status s = check_min_busbw(rec, 12.0);
  ASSERT_FALSE(s.ok());
  expect_contains_all(s.error().message, {"11.9996", "12 GB/s"});
  EXPECT_FALSE(contains(s.error().message, "12.000")) << s.error().message;
}

TEST(CollectiveReportTest, MinBusbwFailsWhenNoCollectivePassed) {
  RunRecord rec = sample_record();
  rec.results.erase(rec.results.begin() + 2);  // the in-place 1 MiB
  rec.results.erase(rec.results.begin());      // the out-of-place 1 MiB
  for (const RunRecord& r : {rec, RunRecord{}}) {
    const Status s = check_min_busbw(r, 1.0);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kRunFailure);
    expect_contains_all(s.error().message, {"no collective passed", "1 GB/s"});
  }
}

// ---- render_table: compute kernels and collectives ------------------------------------

TEST(CollectiveReportTest, MixedRecordHasBothTables) {
  RunRecord rec = sample_record();
  ProblemResult gemm = tbtest::problem_result("gemm:m=64,n=64,k=64,dtype=fp32", ResultStatus::kPassed);
  gemm.time_s.median = 1e-3;
  gemm.flop_per_s = 5.24288e8;
  rec.results.insert(rec.results.begin() + 1, gemm);
  const std::string table = render_table(rec);
  const std::vector<std::string> lines = lines_of(table);
  ASSERT_GE(lines.size(), 4u);
  // The throughput table first, with only the gemm row.
  EXPECT_EQ(table.rfind(render_table_header(), 0), 0u) << table;
  EXPECT_EQ(lines[2].rfind("gemm:m=64,n=64,k=64,dtype=fp32", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3], "") << "a blank line between the tables";
  // Then the nccl-tests table with the collectives.
  const std::string collectives = render_collective_table(rec);
  EXPECT_EQ(table.substr(render_table_header().size() + lines[2].size() + 2, collectives.size()), collectives);
  for (const ProblemResult& r : rec.results) {
    if (!r.collective) continue;
    // A collective appears in the notes at most (reasons), never as a throughput row.
    for (const std::string& line : lines) EXPECT_NE(line.rfind(r.problem, 0), 0u) << line;
  }
  expect_contains_all(table, {"# Avg bus bandwidth    : 11.796 GB/s", "notes:\n",
                              allreduce_problem(k1K, 4, false) + ": failed: verification failed: 3 wrong elements",
                              "reproduce: " + rec.results[2].reproducer});
}

TEST(CollectiveReportTest, OnlyCollectivesHasNoThroughputTable) {
  const std::string table = render_table(sample_record());
  EXPECT_EQ(table.rfind(render_collective_table(sample_record()), 0), 0u) << table;
  for (const char* title : {"throughput", "TFLOP/s", "max norm."}) EXPECT_FALSE(contains(table, title)) << title;
  EXPECT_FALSE(contains(table, render_table_header()));
}

}  // namespace
}  // namespace tb
