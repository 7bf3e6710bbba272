// The nccl-tests view of collective results (render_collective_table), held
// to a genuine all_reduce_perf output's format (tests/data/nccl-tests/, written
// from nccl-tests 2.19.6's printing rules) and read with the rules of
// nccl-tests' third-party parsers (tests/support/nccl_tests_output.h); the
// average bus bandwidth and its floor (--min-busbw); and how render_table
// splits compute kernels and collectives between its two tables.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "report/collective_report.h"
#include "report/result_json.h"
#include "report/text_report.h"
#include "support/nccl_tests_output.h"
#include "support/sample_record.h"
#include "support/text.h"

namespace tb {
namespace {

using tbtest::allreduce_problem;
using tbtest::allreduce_result;
using tbtest::contains;
using tbtest::expect_contains_all;
using tbtest::lines_of;
using tbtest::nccl_number;
using tbtest::NcclTestsOutput;
using tbtest::NcclTestsRow;
using tbtest::NcclTestsRun;
using tbtest::parse_nccl_tests_output;

constexpr std::int64_t k1M = 1048576;
constexpr std::int64_t k64K = 65536;
constexpr std::int64_t k1K = 1024;

// Figures worked by hand, 4 ranks (bus factor 2 (4 - 1) / 4 = 1.5), GB = 1e9 B:
//   1 MiB out of place, median 1e-4 s: algbw 1048576 / 1e-4 = 10.48576 GB/s, busbw 15.72864 GB/s;
//   1 MiB in place,     median 2e-4 s: algbw  5.24288 GB/s,              busbw  7.86432 GB/s;
//   1 KiB out of place failed with 3 wrong elements, no in-place twin;
//   64 KiB in place: error (verified, then the timing failed), no out-of-place twin.
// Average busbw over the passed: (15.72864 + 7.86432) / 2 = 11.79648 GB/s.
// One block (4 ranks, ring over threads); one validation failed.
RunRecord sample_record() {
  RunRecord rec;
  rec.context.backend = "cpu";
  rec.results = {allreduce_result(k1M, 4, false, ResultStatus::kPassed, 1e-4),
                 allreduce_result(k1K, 4, false, ResultStatus::kFailed, 0.0, 3),
                 allreduce_result(k1M, 4, true, ResultStatus::kPassed, 2e-4),
                 allreduce_result(k64K, 4, true, ResultStatus::kError)};
  return rec;
}

// The genuine all_reduce_perf 2.19.6 sample: 2 GPUs, 1 KiB to 256 MiB by 4, float, sum.
std::string genuine_sample() {
  std::ifstream in(std::string(TRAINBENCH_TEST_DATA_DIR) + "/nccl-tests/all_reduce_perf-2.19.6.txt");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The one run of `text`, read with the parsers' rules; fails the test on anything they would trip on.
NcclTestsRun only_run(const std::string& text) {
  const NcclTestsOutput out = parse_nccl_tests_output(text);
  EXPECT_TRUE(out.problems.empty()) << out.problems.front() << "\n" << text;
  EXPECT_EQ(out.runs.size(), 1u) << text;
  return out.runs.empty() ? NcclTestsRun{} : out.runs.front();
}

std::vector<std::string> cells(const NcclTestsRow& r) {
  return {r.out_of_place.time_us, r.out_of_place.algbw, r.out_of_place.busbw, r.out_of_place.wrong,
          r.in_place.time_us,     r.in_place.algbw,     r.in_place.busbw,     r.in_place.wrong};
}

// ---- The parsers' rules, on the genuine sample -----------------------------------------

TEST(CollectiveReportTest, TheGenuineSampleReadsWithTheParsersRules) {
  const std::string sample = genuine_sample();
  ASSERT_FALSE(sample.empty());
  const NcclTestsRun run = only_run(sample);
  EXPECT_EQ(run.busbw_from_end_out_of_place, -6);
  EXPECT_EQ(run.busbw_from_end_in_place, -2);
  ASSERT_EQ(run.rows.size(), 10u);
  EXPECT_EQ(run.rows[0].size, 1024);
  EXPECT_EQ(run.rows[0].type, "float");
  EXPECT_EQ(run.rows[9].out_of_place.time_us, "10841.6") << "a time of 5 digits keeps one decimal";
  ASSERT_TRUE(run.average.has_value()) << run.average_line;
  EXPECT_DOUBLE_EQ(*run.average, 17.3158);
  EXPECT_EQ(run.out_of_bounds_line, "# Out of bounds values : 0 OK");
  EXPECT_TRUE(run.concluded);
  // What the parsers must refuse: a trailing unit in the footer, rows of 15 columns, our old type names.
  NcclTestsOutput broken = parse_nccl_tests_output(
      "#  size count type redop root time algbw busbw #wrong time algbw busbw #wrong\n"
      "1024 256 fp32 sum 4 ring threads 2.0 0.5 0.5 0 2.0 0.5 0.5 0\n"
      "1024 256 fp32 sum -1 2.0 0.5 0.5 0 2.0 0.5 0.5 0\n"
      "notes:\n"
      "# Avg bus bandwidth    : 0.744 GB/s\n");
  EXPECT_EQ(broken.problems.size(), 3u);
  ASSERT_EQ(broken.runs.size(), 1u);
  EXPECT_FALSE(broken.runs[0].average.has_value());
}

// ---- The table, in nccl-tests' format ------------------------------------------------

TEST(CollectiveReportTest, HeaderLinesAreNcclTestsOwnByteForByte) {
  const NcclTestsRun genuine = only_run(genuine_sample());
  const NcclTestsRun ours = only_run(render_collective_table(sample_record()));
  ASSERT_EQ(genuine.header_lines.size(), 3u);
  EXPECT_EQ(ours.header_lines, genuine.header_lines);
  EXPECT_EQ(ours.busbw_from_end_out_of_place, -6);
  EXPECT_EQ(ours.busbw_from_end_in_place, -2);
}

TEST(CollectiveReportTest, RowsHaveNcclTestsColumnsWidthsAndNames) {
  const NcclTestsRun genuine = only_run(genuine_sample());
  RunRecord rec = sample_record();
  rec.results.push_back(allreduce_result(k1M, 4, false, ResultStatus::kPassed, 1e-4));
  rec.results.back().problem += ",bf16";  // its own row
  rec.results.back().dtype = "bf16";
  rec.results.push_back(allreduce_result(k1M, 4, false, ResultStatus::kPassed, 1e-4));
  rec.results.back().problem += ",fp16";
  rec.results.back().dtype = "fp16";
  const NcclTestsRun ours = only_run(render_collective_table(rec));
  ASSERT_EQ(ours.rows.size(), 5u);
  for (const NcclTestsRow& row : ours.rows) {
    EXPECT_EQ(row.line.size(), genuine.rows[0].line.size()) << row.line;
    EXPECT_EQ(row.root, "-1");
    EXPECT_EQ(row.redop, "sum");
  }
  EXPECT_EQ(ours.rows[0].type, "float");
  EXPECT_EQ(ours.rows[3].type, "bfloat16");
  EXPECT_EQ(ours.rows[4].type, "half");
  // Every cell ends where the genuine row's cell of that column ends.
  const auto ends = [](const std::string& line) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] != ' ' && (i + 1 == line.size() || line[i + 1] == ' ')) out.push_back(i);
    }
    return out;
  };
  for (const NcclTestsRow& row : ours.rows) EXPECT_EQ(ends(row.line), ends(genuine.rows[0].line)) << row.line;
}

TEST(CollectiveReportTest, PairsOutOfPlaceAndInPlaceIntoOneRowInFirstSeenOrder) {
  const NcclTestsRun run = only_run(render_collective_table(sample_record()));
  ASSERT_EQ(run.rows.size(), 3u) << "1 MiB (both), 1 KiB, 64 KiB";
  EXPECT_EQ(run.rows[0].size, k1M);
  EXPECT_EQ(run.rows[0].count, k1M / 4);
  EXPECT_EQ(cells(run.rows[0]),
            (std::vector<std::string>{"100.00", "10.49", "15.73", "0", "200.00", "5.24", "7.86", "0"}));
  EXPECT_EQ(run.rows[1].size, k1K);
  EXPECT_EQ(run.rows[2].size, k64K);
}

TEST(CollectiveReportTest, WhatDidNotPassIsNotApplicableAndFailedVerificationCountsItsWrongElements) {
  const NcclTestsRun run = only_run(render_collective_table(sample_record()));
  ASSERT_EQ(run.rows.size(), 3u);
  // Failed: no figures (no throughput of an output that failed verification), the wrong count; no in-place twin.
  EXPECT_EQ(cells(run.rows[1]), (std::vector<std::string>{"N/A", "N/A", "N/A", "3", "N/A", "N/A", "N/A", "N/A"}));
  // Error: nothing (verification is not what failed); no out-of-place twin.
  EXPECT_EQ(cells(run.rows[2]), (std::vector<std::string>(8, "N/A")));
}

TEST(CollectiveReportTest, NumbersFitTheirColumnsAsNcclTestsPrintsThem) {
  RunRecord rec;
  rec.context.backend = "cpu";
  // 1 GiB over 2 ranks in 12345.67 us: algbw 86.97 GB/s; 4 KiB in 0.5 us; 64 MiB in 1 us: 67108.864 GB/s;
  // in 1 ps: 6.7e10 GB/s.
  rec.results = {allreduce_result(1073741824, 2, false, ResultStatus::kPassed, 12345.67e-6),
                 allreduce_result(4096, 2, false, ResultStatus::kPassed, 0.5e-6),
                 allreduce_result(67108864, 2, false, ResultStatus::kPassed, 1e-6),
                 allreduce_result(67108864, 2, true, ResultStatus::kPassed, 1e-12),
                 allreduce_result(1073741824, 2, true, ResultStatus::kPassed, 123456789e-6)};
  const NcclTestsRun run = only_run(render_collective_table(rec));
  ASSERT_EQ(run.rows.size(), 3u);
  EXPECT_EQ(run.rows[0].out_of_place.time_us, "12345.7");
  EXPECT_EQ(run.rows[0].out_of_place.algbw, "86.97");
  EXPECT_EQ(run.rows[0].in_place.time_us, "1.2e+08");
  EXPECT_EQ(run.rows[1].out_of_place.time_us, "0.50");
  EXPECT_EQ(run.rows[2].out_of_place.algbw, "67109") << "no decimals where 6 columns have no room for them";
  EXPECT_EQ(run.rows[2].in_place.algbw, "7e+10");
}

TEST(CollectiveReportTest, InPlaceSeenFirstStillPairsAndKeepsItsPosition) {
  RunRecord rec;
  rec.context.backend = "cpu";
  rec.results = {allreduce_result(k1K, 2, true, ResultStatus::kPassed, 1e-5),
                 allreduce_result(k1M, 2, false, ResultStatus::kPassed, 1e-4),
                 allreduce_result(k1K, 2, false, ResultStatus::kPassed, 2e-5),
                 allreduce_result(k1M, 2, true, ResultStatus::kPassed, 2e-4)};
  const NcclTestsRun run = only_run(render_collective_table(rec));
  ASSERT_EQ(run.rows.size(), 2u);
  EXPECT_EQ(run.rows[0].size, k1K);
  EXPECT_EQ(run.rows[0].out_of_place.time_us, "20.00") << "though the in-place result came first";
  EXPECT_EQ(run.rows[0].in_place.time_us, "10.00");
  // 2 ranks: bus factor 1, busbw = algbw = 1024 / 1e-5 = 0.1024 GB/s.
  EXPECT_EQ(run.rows[0].in_place.algbw, "0.10");
  EXPECT_EQ(run.rows[0].in_place.busbw, "0.10");
  EXPECT_EQ(run.rows[1].size, k1M);
}

// Each rank count and algorithm is a run of its own, as nccl-tests would print it.
TEST(CollectiveReportTest, RanksAndAlgorithmsOtherThanTheFirstPrintBlocksOfTheirOwn) {
  RunRecord rec;
  rec.context.backend = "cpu";
  ProblemResult mpi = allreduce_result(k1M, 4, true, ResultStatus::kPassed);
  mpi.problem = "allreduce:bytes=1M,dtype=fp32,op=sum,ranks=4,inplace=1,algo=mpi,transport=threads";
  mpi.collective->algo = "mpi";
  rec.results = {allreduce_result(k1M, 4, false, ResultStatus::kPassed),   // block 1
                 allreduce_result(k1M, 2, true, ResultStatus::kPassed),    // block 2: other ranks
                 mpi,                                                      // block 3: other algo
                 allreduce_result(k1M, 4, true, ResultStatus::kPassed)};  // block 1's twin
  const std::string text = render_collective_table(rec);
  const NcclTestsOutput out = parse_nccl_tests_output(text);
  EXPECT_TRUE(out.problems.empty()) << text;
  ASSERT_EQ(out.runs.size(), 3u) << text;
  EXPECT_EQ(out.runs[0].rows.size(), 1u);
  EXPECT_EQ(out.runs[0].rows[0].in_place.time_us, "100.00") << "block 1 has its in-place twin";
  EXPECT_EQ(out.runs[1].rows[0].out_of_place.time_us, "N/A");
  EXPECT_EQ(out.runs[2].rows[0].out_of_place.time_us, "N/A");
  for (const NcclTestsRun& run : out.runs) {
    EXPECT_TRUE(run.average.has_value()) << run.average_line;
    EXPECT_TRUE(run.concluded);
  }
  // What nccl-tests' columns cannot say, its '#' lines do.
  expect_contains_all(text, {"all-reduce over 4 ranks, algo ring, transport threads",
                             "all-reduce over 2 ranks, algo ring, transport threads",
                             "all-reduce over 4 ranks, algo mpi, transport threads", "# nThread 4 nGpus 1 minBytes "
                             "1048576 maxBytes 1048576 step: 0(bytes) warmup iters: 0 iters: 100 agg iters: 1 "
                             "validation: 1 graph: 0 unalign: 0\n"});
}

// The same problem twice (e.g. given twice on the command line): both stay visible.
TEST(CollectiveReportTest, ARepeatedProblemGetsItsOwnRow) {
  RunRecord rec;
  rec.context.backend = "cpu";
  rec.results = {allreduce_result(k1K, 4, false, ResultStatus::kPassed, 1e-5),
                 allreduce_result(k1K, 4, true, ResultStatus::kPassed, 1e-5),
                 allreduce_result(k1K, 4, false, ResultStatus::kPassed, 4e-5)};
  const NcclTestsRun run = only_run(render_collective_table(rec));
  ASSERT_EQ(run.rows.size(), 2u);
  EXPECT_EQ(run.rows[0].out_of_place.time_us, "10.00");
  EXPECT_EQ(run.rows[1].out_of_place.time_us, "40.00");
  EXPECT_EQ(run.rows[1].in_place.time_us, "N/A");
}

TEST(CollectiveReportTest, FooterCountsFailedValidationsAndAveragesTheBusbwItPrinted) {
  const std::string text = render_collective_table(sample_record());
  const NcclTestsRun run = only_run(text);
  EXPECT_EQ(run.out_of_bounds_line, "# Out of bounds values : 1 FAILED");
  EXPECT_EQ(run.average_line, "# Avg bus bandwidth    : 11.7965 ") << "the number alone, %g, as nccl-tests";
  EXPECT_DOUBLE_EQ(average_busbw_gb_per_s(sample_record()), (15.72864 + 7.86432) / 2);
  const std::vector<std::string> lines = lines_of(text);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(lines.end() - 4, lines.end()),
            (std::vector<std::string>{"#", "# Collective test concluded: all_reduce_perf", "#", ""}));
}

TEST(CollectiveReportTest, FooterIsOkWithoutFailedValidationsAndNanWithNothingPassed) {
  RunRecord rec;
  rec.results = {allreduce_result(k1M, 4, false, ResultStatus::kPassed, 1e-4)};
  EXPECT_EQ(only_run(render_collective_table(rec)).out_of_bounds_line, "# Out of bounds values : 0 OK");
  rec.results = {allreduce_result(k1M, 4, false, ResultStatus::kError)};
  const NcclTestsRun run = only_run(render_collective_table(rec));
  EXPECT_EQ(run.average_line, "# Avg bus bandwidth    : nan ") << "nccl-tests' 0/0";
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

TEST(CollectiveReportTest, CommentLinesPrefixEveryLine) {
  EXPECT_EQ(as_comment_lines("a\n\nb: c\n"), "# a\n#\n# b: c\n");
  EXPECT_EQ(as_comment_lines("no newline"), "# no newline\n");
  EXPECT_EQ(as_comment_lines(""), "");
}

// ---- --min-busbw -------------------------------------------------------------------

TEST(CollectiveReportTest, MinBusbwFailsBelowTheFloorNamingBothNumbers) {
  const Status s = check_min_busbw(sample_record(), 12.5);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRunFailure);
  expect_contains_all(s.error().message, {"11.7965 GB/s", "12.5 GB/s", "--min-busbw"});
}

TEST(CollectiveReportTest, MinBusbwPassesAtAndAboveTheFloor) {
  const RunRecord rec = sample_record();
  EXPECT_TRUE(check_min_busbw(rec, 11.0).ok());
  EXPECT_TRUE(check_min_busbw(rec, average_busbw_gb_per_s(rec)).ok()) << "exactly at the floor";
}

// Just below a floor that the footer's 6 significant digits would reach: the message must still show a smaller number.
TEST(CollectiveReportTest, MinBusbwMessageDoesNotRoundUpToTheFloor) {
  RunRecord rec;
  // 2 ranks (bus factor 1): 1048576 B in 1048576 / 11.9999996e9 s is 11.9999996 GB/s ("12" with %g).
  rec.results = {allreduce_result(k1M, 2, false, ResultStatus::kPassed, 1048576 / 11.9999996e9)};
  const Status s = check_min_busbw(rec, 12.0);
  ASSERT_FALSE(s.ok());
  expect_contains_all(s.error().message, {"11.9999996 GB/s", "12 GB/s"});
  EXPECT_FALSE(contains(s.error().message, "bandwidth 12 GB/s")) << s.error().message;
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
  // After the nccl-tests table, the notes are '#' lines.
  expect_contains_all(table, {"# Avg bus bandwidth    : 11.7965 \n", "\n# notes:\n",
                              "\n#   " + allreduce_problem(k1K, 4, false) +
                                  ": failed: verification failed: 3 wrong elements\n",
                              "\n#     reproduce: " + rec.results[2].reproducer + "\n"});
  const std::string from_the_block = table.substr(table.find("# trainbench"));
  EXPECT_TRUE(parse_nccl_tests_output(from_the_block).problems.empty()) << from_the_block;
}

TEST(CollectiveReportTest, OnlyCollectivesHasNoThroughputTable) {
  const std::string table = render_table(sample_record());
  EXPECT_EQ(table.rfind(render_collective_table(sample_record()), 0), 0u) << table;
  for (const char* title : {"throughput", "TFLOP/s", "max norm."}) EXPECT_FALSE(contains(table, title)) << title;
  EXPECT_FALSE(contains(table, render_table_header()));
}

}  // namespace
}  // namespace tb
