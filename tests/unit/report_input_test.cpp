// What the report page is given from the history (build_report_input): the
// roofline of compute kernels only, each under the ceiling of the precision
// it computed in; the all-reduce bandwidth view; and, when the cost chart
// cannot be drawn, why.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "history/report_input.h"
#include "history_fixtures.h"
#include "support/temp_dir.h"

namespace tb {
namespace {

class ReportInput : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("h.db");
    Expected<HistoryDb> db = HistoryDb::open(path_, HistoryDb::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.error().message;
    writer_.emplace(std::move(*db));
  }

  void record(const RunRecord& r) {
    const Expected<RecordOutcome> outcome = writer_->record(r, "run");
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  }

  HtmlReportInput input() {
    writer_.reset();
    std::optional<HistoryDb> db;
    const Expected<TrackedWindow> window = load_tracked_window(path_, "all", "5%", 0.01, db);
    EXPECT_TRUE(window.ok()) << window.error().message;
    const Expected<HtmlReportInput> in = build_report_input(*window, *db);
    EXPECT_TRUE(in.ok()) << in.error().message;
    return in.ok() ? *in : HtmlReportInput{};
  }

  // A model run of llama3.2-1b at `timestamp` whose comparison has `rows`, or failed with `error`.
  static RunRecord model_run(const std::string& timestamp, std::vector<CostRow> rows, const std::string& error) {
    RunRecord r = tbtest::sample_run(timestamp);
    r.context.command_line = "trainbench run --model llama3.2-1b";
    r.model_run.emplace();
    r.model_run->model.name = "llama3.2-1b";
    r.model_run->comparison = std::move(rows);
    r.model_run->comparison_error = error;
    return r;
  }

  static CostRow row(const std::string& label, std::optional<double> usd_per_hour) {
    CostRow c;
    c.label = label;
    c.provenance = "projected";
    c.figures.tokens_per_s_instance = 1e5;
    c.figures.usd_per_million_tokens = usd_per_hour ? *usd_per_hour / 0.36 : 0.0;
    c.price.usd_per_hour = usd_per_hour;
    c.price.pricing = "on-demand";
    return c;
  }

  tbtest::TempDir dir_;
  std::string path_;
  std::optional<HistoryDb> writer_;
};

TEST_F(ReportInput, AModelRunThatCouldNotBeTimedSaysWhyItHasNoCost) {
  record(model_run("2026-11-25T01:00:00Z", {}, "gemm:m=8,n=8,k=8,dtype=fp8: skipped: no fp8 GEMM on this CPU"));
  const HtmlReportInput in = input();
  EXPECT_TRUE(in.costs.empty());
  EXPECT_EQ(in.cost_note, "run 1 (model llama3.2-1b) has no cost comparison: gemm:m=8,n=8,k=8,dtype=fp8: skipped: "
                          "no fp8 GEMM on this CPU");
}

TEST_F(ReportInput, AComparisonWithoutAPriceSaysWhatToPrice) {
  record(model_run("2026-11-25T01:00:00Z", {row("this machine (AMD EPYC)", std::nullopt)}, ""));
  const HtmlReportInput in = input();
  EXPECT_TRUE(in.costs.empty());
  EXPECT_NE(in.cost_note.find("run 1 (model llama3.2-1b) compared 1 row, none with a price (this machine (AMD EPYC))"),
            std::string::npos)
      << in.cost_note;
  EXPECT_NE(in.cost_note.find("--price USD/h"), std::string::npos) << in.cost_note;
}

TEST_F(ReportInput, TheLatestPricedComparisonIsDrawnAndANewerOneWithoutCostIsSaid) {
  record(model_run("2026-11-25T01:00:00Z", {row("p5.48xlarge", 55.04), row("this machine", std::nullopt)}, ""));
  record(model_run("2026-11-26T01:00:00Z", {}, "the step could not be timed"));
  const HtmlReportInput in = input();
  ASSERT_EQ(in.costs.size(), 1u);
  EXPECT_EQ(in.costs[0].label, "p5.48xlarge");
  EXPECT_NE(in.cost_title.find("run 1,"), std::string::npos) << in.cost_title;
  EXPECT_EQ(in.cost_note, "A newer model run is not drawn: run 2 (model llama3.2-1b) has no cost comparison: the step "
                          "could not be timed");
}

TEST_F(ReportInput, NoModelRunLeavesTheNoteEmpty) {
  record(tbtest::sample_run("2026-11-25T01:00:00Z"));
  EXPECT_EQ(input().cost_note, "");
}

TEST_F(ReportInput, AllReducesLeaveTheRooflineForTheBandwidthViewUnderTheMemoryCeiling) {
  RunRecord r = tbtest::sample_run("2026-11-25T01:00:00Z", 1);
  r.results[0].dtype = "bf16";
  r.results[0].peak_dtype = "fp32";  // bf16 computed in fp32 on this CPU
  r.results.push_back(tbtest::allreduce_result(1048576, 4, false, ResultStatus::kPassed, 1e-4));
  r.results.push_back(tbtest::allreduce_result(1048576, 4, true, ResultStatus::kPassed, 2e-4));
  record(r);
  const HtmlReportInput in = input();
  ASSERT_EQ(in.roofline.points.size(), 1u) << "the GEMM only";
  EXPECT_EQ(in.roofline.points[0].dtype, "bf16");
  EXPECT_EQ(in.roofline.points[0].roof_dtype, "fp32");
  ASSERT_EQ(in.bandwidth.points.size(), 2u);
  // busbw = bytes / median x 2 (4 - 1) / 4.
  EXPECT_DOUBLE_EQ(in.bandwidth.points[0].busbw_bytes_per_s, 1048576 / 1e-4 * 1.5);
  EXPECT_DOUBLE_EQ(in.bandwidth.points[0].bytes, 1048576);
  EXPECT_EQ(in.bandwidth.points[0].group, "fp32, 4 ranks, ring over threads, out-of-place");
  EXPECT_EQ(in.bandwidth.points[1].group, "fp32, 4 ranks, ring over threads, in-place");
  ASSERT_EQ(in.bandwidth.ceilings.size(), 1u);
  EXPECT_EQ(in.bandwidth.ceilings[0].bytes_per_s, 3.5e11);
  EXPECT_NE(in.bandwidth.ceilings[0].label.find("memory bandwidth"), std::string::npos);
}

TEST_F(ReportInput, EachViewComesFromTheNewestRunThatHasSomethingForIt) {
  RunRecord collectives = tbtest::sample_run("2026-11-25T01:00:00Z", 0);
  collectives.results = {tbtest::allreduce_result(4096, 2, false, ResultStatus::kPassed, 1e-5)};
  record(collectives);
  record(tbtest::sample_run("2026-11-26T01:00:00Z", 2));  // GEMMs only, newer
  const HtmlReportInput in = input();
  EXPECT_EQ(in.roofline.points.size(), 2u);
  EXPECT_NE(in.roofline.title.find("run 2,"), std::string::npos) << in.roofline.title;
  ASSERT_EQ(in.bandwidth.points.size(), 1u);
  EXPECT_NE(in.bandwidth.title.find("run 1,"), std::string::npos) << in.bandwidth.title;
}

}  // namespace
}  // namespace tb
