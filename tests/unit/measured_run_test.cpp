#include "history/measured_run.h"

#include <gtest/gtest.h>

#include "history_fixtures.h"

namespace {

TEST(MeasuredRun, FromARunRecord) {
  const tb::RunRecord record = tbtest::sample_run("2026-11-25T21:39:08Z");
  const tb::MeasuredRun run = tb::measured_run(record, "results/a.json");
  EXPECT_EQ(run.label, "results/a.json");
  EXPECT_EQ(run.backend, "cpu");
  EXPECT_EQ(run.device, "AMD EPYC 9R14");
  EXPECT_EQ(run.host, "nightly-1");
  EXPECT_EQ(run.git_commit, "0123456789ab");
  EXPECT_EQ(run.timestamp_utc, "2026-11-25T21:39:08Z");
  ASSERT_EQ(run.problems.size(), record.results.size());
  for (std::size_t i = 0; i < run.problems.size(); ++i) {
    const tb::MeasuredProblem& p = run.problems[i];
    const tb::ProblemResult& r = record.results[i];
    EXPECT_EQ(p.problem, r.problem);
    EXPECT_EQ(p.dtype, r.dtype);
    EXPECT_EQ(p.status, tb::status_name(r.status));
    EXPECT_EQ(p.samples_s, r.samples_s);
    EXPECT_EQ(p.median_s, r.time_s.median);
    EXPECT_EQ(p.flop, r.flop);
  }
  EXPECT_EQ(run.problems[0].status, "passed");
  EXPECT_EQ(run.problems[2].status, "skipped");
}

TEST(MeasuredRun, FromTheHistory) {
  tb::HistoryRun history_run;
  history_run.id = 12;
  history_run.backend = "cpu";
  history_run.device = "EPYC";
  history_run.host = "h";
  history_run.git_commit = "abc";
  history_run.timestamp_utc = "2026-11-25T21:39:08Z";
  tb::HistoryMeasurement m;
  m.run_id = 12;
  m.problem = "gemm:m=8,n=8,k=8,dtype=fp32";
  m.dtype = "fp32";
  m.status = "failed";
  m.samples_s = {3e-3, 1e-3};
  m.median_s = 2e-3;
  m.flop = 1024;
  const tb::MeasuredRun run = tb::measured_run(history_run, {m, m}, "run 12");
  EXPECT_EQ(run.label, "run 12");
  EXPECT_EQ(run.backend, "cpu");
  EXPECT_EQ(run.device, "EPYC");
  EXPECT_EQ(run.host, "h");
  EXPECT_EQ(run.git_commit, "abc");
  EXPECT_EQ(run.timestamp_utc, "2026-11-25T21:39:08Z");
  ASSERT_EQ(run.problems.size(), 2u);
  EXPECT_EQ(run.problems[0].problem, m.problem);
  EXPECT_EQ(run.problems[0].dtype, "fp32");
  EXPECT_EQ(run.problems[0].status, "failed");
  EXPECT_EQ(run.problems[0].samples_s, m.samples_s);
  EXPECT_EQ(run.problems[0].median_s, 2e-3);
  EXPECT_EQ(run.problems[0].flop, 1024);
}

}  // namespace
