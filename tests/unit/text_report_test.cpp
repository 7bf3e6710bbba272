// The aligned table and the CSV rendering of a RunRecord.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "report/text_report.h"
#include "support/csv.h"
#include "support/sample_record.h"
#include "support/text.h"

namespace tb {
namespace {

using tbtest::contains;
using tbtest::expect_contains_all;
using tbtest::lines_of;
using tbtest::parse_csv;
using tbtest::problem_result;

const char* const kPassed = "gemm:m=4096,n=4096,k=4096,dtype=bf16";
const char* const kFailed = "gemm:m=8,n=8,k=8,ta=1,dtype=fp32";
const char* const kSkipped = tbtest::kSkippedFp16;
const char* const kError = "gemm:m=9,n=9,k=9,dtype=fp32";

RunRecord sample_record() {
  RunRecord rec;
  rec.context.backend = "cpu";
  rec.context.device.name = "Test CPU, 2 cores";  // a comma: must be quoted in CSV

  ProblemResult passed = problem_result(kPassed, ResultStatus::kPassed);
  passed.implementation = "oneDNN matmul";
  passed.flop = 137438953472.0;
  passed.min_bytes = 100663296.0;
  passed.verification = {true, "gemm_normalized_abs", 0.00125, 0.0079, 4096, 16777216, 0, ""};
  passed.time_s.count = 5;
  passed.time_s.median = 0.0125;
  passed.time_s.min = 0.0121;
  passed.time_s.max = 0.0133;
  passed.time_s.p10 = 0.0122;
  passed.time_s.p90 = 0.0131;
  passed.time_s.cv = 0.034;
  passed.iterations_per_sample = 40;
  passed.flop_per_s = 1.5e12;
  passed.bytes_per_s = 2.5e11;
  passed.fraction_of_peak = 0.42;
  passed.warnings = {"noisy: coefficient of variation 7.1% is above 5%"};

  ProblemResult failed = problem_result(kFailed, ResultStatus::kFailed, " --seed 42");
  failed.reason = "verification failed: max error 0.5, \"worst\" c[0,0]";
  failed.verification = {false, "gemm_normalized_abs", 0.5, 3.9e-6, 64, 64, 0, "worst c[0,0]"};
  failed.flop = 1024;
  failed.min_bytes = 768;

  ProblemResult error = problem_result(kError, ResultStatus::kError);
  error.reason = "oneDNN matmul failed:\nout of memory";

  rec.results = {passed, failed, tbtest::skipped_fp16_result(), error};
  return rec;
}

// ---- Table -------------------------------------------------------------------------

TEST(TextReportTest, TableHasHeaderAndUnitsRows) {
  const std::vector<std::string> lines = lines_of(render_table(sample_record()));
  ASSERT_GE(lines.size(), 6u);
  for (const char* title : {"problem", "backend", "status", "time", "throughput", "bandwidth", "peak", "error"}) {
    EXPECT_TRUE(contains(lines[0], title)) << title << " in: " << lines[0];
  }
  for (const char* unit : {"ms", "TFLOP/s", "GB/s", "%"}) {
    EXPECT_TRUE(contains(lines[1], unit)) << unit << " in: " << lines[1];
  }
  EXPECT_FALSE(contains(lines[1], "problem"));
  EXPECT_EQ(render_table_header(), lines[0] + "\n" + lines[1] + "\n");
}

TEST(TextReportTest, TableHasOneRowPerResultInOrder) {
  const RunRecord rec = sample_record();
  const std::vector<std::string> lines = lines_of(render_table(rec));
  ASSERT_GE(lines.size(), 7u);
  const char* const problems[] = {kPassed, kFailed, kSkipped, kError};
  const char* const statuses[] = {"passed", "failed", "skipped", "error"};
  const std::size_t status_column = lines[0].find("status");
  ASSERT_NE(status_column, std::string::npos);
  for (std::size_t i = 0; i < 4; ++i) {
    const std::string& row = lines[2 + i];
    EXPECT_EQ(row.rfind(problems[i], 0), 0u) << row;
    EXPECT_TRUE(contains(row, " cpu ")) << row;
    EXPECT_EQ(row.compare(status_column, std::string(statuses[i]).size(), statuses[i]), 0)
        << "status column misaligned: " << row;
    EXPECT_EQ(render_table_row(rec, rec.results[i]), row + "\n");
  }
  EXPECT_EQ(lines[6], "notes:");
}

TEST(TextReportTest, PassedRowShowsFormattedMeasurements) {
  const RunRecord rec = sample_record();
  const std::string row = render_table_row(rec, rec.results[0]);
  expect_contains_all(row, {" 12.5 ",        // median ms
                            " 12.1-13.3 ",   // min-max ms
                            " 3.4 ",         // cv %
                            " 1.5000 ",      // TFLOP/s
                            " 250.00 ",      // GB/s
                            " 42.0 ",        // % of peak
                            "1.25e-03"});    // max normalized error
}

TEST(TextReportTest, UnmeasuredRowsShowDashes) {
  RunRecord rec = sample_record();
  const std::string skipped = render_table_row(rec, rec.results[2]);
  EXPECT_FALSE(contains(skipped, "e-")) << "a skipped problem has no verification error: " << skipped;
  EXPECT_TRUE(contains(skipped, " -  ")) << skipped;
  const std::string failed = render_table_row(rec, rec.results[1]);
  EXPECT_TRUE(contains(failed, "5.00e-01")) << "a failed problem shows its error: " << failed;
  EXPECT_FALSE(contains(failed, "TFLOP")) << failed;
  // Unknown peak: a dash, not a negative percentage.
  rec.results[0].fraction_of_peak = -1.0;
  EXPECT_FALSE(contains(render_table_row(rec, rec.results[0]), "-100.0"));
}

TEST(TextReportTest, NotesGiveReasonsAndReproducers) {
  const RunRecord rec = sample_record();
  const std::string table = render_table(rec);
  const std::string notes = table.substr(table.find("notes:\n"));
  EXPECT_TRUE(contains(notes, std::string(kSkipped) + ": skipped: oneDNN has no fp16 matmul for this CPU")) << notes;
  EXPECT_TRUE(contains(notes, std::string(kFailed) + ": failed: verification failed")) << notes;
  EXPECT_TRUE(contains(notes, "reproduce: " + rec.results[1].reproducer)) << notes;
  EXPECT_TRUE(contains(notes, "reproduce: " + rec.results[3].reproducer)) << notes;
  EXPECT_FALSE(contains(notes, rec.results[2].reproducer)) << "no reproducer for a skip: " << notes;
  EXPECT_FALSE(contains(notes, rec.results[0].reproducer)) << "no reproducer for a pass: " << notes;
  EXPECT_TRUE(contains(notes, std::string(kPassed) + ": warning: noisy")) << notes;
}

TEST(TextReportTest, AllPassedWithoutWarningsHasNoNotes) {
  RunRecord rec = sample_record();
  rec.results.resize(1);
  rec.results[0].warnings.clear();
  const std::string table = render_table(rec);
  EXPECT_FALSE(contains(table, "notes:")) << table;
  EXPECT_EQ(lines_of(table).size(), 3u);
}

// ---- CSV ---------------------------------------------------------------------------

TEST(TextReportTest, CsvHeaderNamesCarryUnits) {
  const std::vector<std::vector<std::string>> rows = parse_csv(render_csv(sample_record()));
  ASSERT_FALSE(rows.empty());
  const std::vector<std::string>& header = rows[0];
  ASSERT_EQ(header.size(), 36u);
  EXPECT_EQ(header[0], "problem");
  // The columns before the collectives' keep their positions; the collectives' follow `reproducer`.
  EXPECT_EQ(header[6], "reason");
  EXPECT_EQ(header[26], "reproducer");
  const std::vector<std::string> collective(header.begin() + 27, header.end());
  EXPECT_EQ(collective, (std::vector<std::string>{"ranks", "transport", "algo", "op", "in_place", "count_elements",
                                                   "algbw_gbyte_per_s", "busbw_gbyte_per_s", "wrong_elements"}));
  for (const char* name : {"time_median_ms", "time_min_ms", "time_max_ms", "time_p10_ms", "time_p90_ms",
                           "time_cv_percent", "tflop_per_s", "gbyte_per_s", "fraction_of_peak_percent", "flop",
                           "min_bytes", "verification_max_error", "reproducer"}) {
    EXPECT_NE(std::find(header.begin(), header.end(), name), header.end()) << name;
  }
}

TEST(TextReportTest, CsvHasOneRowPerResultWithEveryColumn) {
  const RunRecord rec = sample_record();
  const std::vector<std::vector<std::string>> rows = parse_csv(render_csv(rec));
  ASSERT_EQ(rows.size(), 5u);
  const std::vector<std::string>& header = rows[0];
  auto col = [&](const std::string& name) { return tbtest::column(header, name); };
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), header.size()) << "row " << i;
    EXPECT_EQ(rows[i][col("problem")], rec.results[i - 1].problem);
    EXPECT_EQ(rows[i][col("backend")], "cpu");
    EXPECT_EQ(rows[i][col("device")], "Test CPU, 2 cores");
    EXPECT_EQ(rows[i][col("reproducer")], rec.results[i - 1].reproducer);
  }
  // Each named column of `row` holds its value.
  auto expect_fields = [&](const std::vector<std::string>& row,
                           const std::vector<std::pair<std::string, std::string>>& fields) {
    for (const auto& [name, value] : fields) EXPECT_EQ(row[col(name)], value) << row[0] << ": " << name;
  };
  expect_fields(rows[1], {{"status", "passed"},
                          {"time_median_ms", "12.5"},
                          {"time_cv_percent", "3.4"},
                          {"tflop_per_s", "1.5"},
                          {"gbyte_per_s", "250"},
                          {"fraction_of_peak_percent", "42"},
                          {"repetitions", "5"},
                          {"iterations_per_repetition", "40"},
                          {"flop", "137438953472"},
                          {"verified_elements", "4096"}});
  expect_fields(rows[3],
                {{"status", "skipped"}, {"time_median_ms", ""}, {"tflop_per_s", ""}, {"verification_max_error", ""}});
}

TEST(TextReportTest, CsvCollectiveColumnsAreEmptyForComputeKernels) {
  const std::vector<std::vector<std::string>> rows = parse_csv(render_csv(sample_record()));
  ASSERT_EQ(rows.size(), 5u);
  const std::size_t first = tbtest::column(rows[0], "ranks");
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), rows[0].size());
    for (std::size_t j = first; j < rows[i].size(); ++j) EXPECT_EQ(rows[i][j], "") << rows[0][j] << ", row " << i;
  }
}

// 1 MiB on 4 ranks in 1e-4 s: algbw 1048576 / 1e-4 = 10.48576 GB/s, busbw x 2 (4 - 1) / 4 = 15.72864 GB/s.
TEST(TextReportTest, CsvHasCollectiveColumns) {
  RunRecord rec = sample_record();
  rec.results = {tbtest::allreduce_result(1048576, 4, false, ResultStatus::kPassed, 1e-4),
                 tbtest::allreduce_result(1048576, 4, true, ResultStatus::kFailed, 0.0, 7),
                 tbtest::allreduce_result(1024, 2, false, ResultStatus::kSkipped)};
  const std::vector<std::vector<std::string>> rows = parse_csv(render_csv(rec));
  ASSERT_EQ(rows.size(), 4u);
  const std::vector<std::string>& header = rows[0];
  auto col = [&](const std::string& name) { return tbtest::column(header, name); };
  auto expect_fields = [&](const std::vector<std::string>& row,
                           const std::vector<std::pair<std::string, std::string>>& fields) {
    ASSERT_EQ(row.size(), header.size());
    for (const auto& [name, value] : fields) EXPECT_EQ(row[col(name)], value) << row[0] << ": " << name;
  };
  expect_fields(rows[1], {{"problem", rec.results[0].problem},
                          {"kernel", "allreduce"},
                          {"status", "passed"},
                          {"time_median_ms", "0.1"},
                          {"gbyte_per_s", "10.4858"},
                          {"ranks", "4"},
                          {"transport", "threads"},
                          {"algo", "ring"},
                          {"op", "sum"},
                          {"in_place", "0"},
                          {"count_elements", "262144"},
                          {"algbw_gbyte_per_s", "10.4858"},
                          {"busbw_gbyte_per_s", "15.7286"},
                          {"wrong_elements", "0"},
                          {"reproducer", rec.results[0].reproducer}});
  // Failed: not timed, so no bandwidths, but the wrong count.
  expect_fields(rows[2], {{"status", "failed"},
                          {"in_place", "1"},
                          {"count_elements", "262144"},
                          {"algbw_gbyte_per_s", ""},
                          {"busbw_gbyte_per_s", ""},
                          {"wrong_elements", "7"}});
  // Skipped before anything ran: no collective figures at all.
  expect_fields(rows[3], {{"status", "skipped"}, {"ranks", ""}, {"transport", ""}, {"wrong_elements", ""}});
}

TEST(TextReportTest, CsvQuotesCommasQuotesAndNewlines) {
  const RunRecord rec = sample_record();
  const std::string csv = render_csv(rec);
  // The failed reason has a comma and quotes: quoted, inner quotes doubled.
  EXPECT_TRUE(contains(csv, "\"verification failed: max error 0.5, \"\"worst\"\" c[0,0]\"")) << csv;
  EXPECT_TRUE(contains(csv, ",\"Test CPU, 2 cores\",")) << csv;
  // Problem strings have commas: quoted; fields without special characters stay bare.
  EXPECT_TRUE(contains(csv, "\n\"" + std::string(kSkipped) + "\",gemm,fp16,cpu,")) << csv;
  const std::vector<std::vector<std::string>> rows = parse_csv(csv);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[2][6], rec.results[1].reason);
  EXPECT_EQ(rows[4][6], "oneDNN matmul failed:\nout of memory");
}

}  // namespace
}  // namespace tb
