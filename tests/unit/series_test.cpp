#include "history/series.h"

#include <gtest/gtest.h>

namespace {

tb::HistoryRun run(std::int64_t id, const std::string& time, const std::string& backend, const std::string& device) {
  tb::HistoryRun r;
  r.id = id;
  r.timestamp_utc = time;
  r.backend = backend;
  r.device = device;
  r.git_commit = "commit" + std::to_string(id);
  return r;
}

tb::HistoryMeasurement measurement(std::int64_t run_id, const std::string& problem, double median_s,
                                   const std::string& status = "passed") {
  tb::HistoryMeasurement m;
  m.run_id = run_id;
  m.problem = problem;
  m.kernel = problem.substr(0, problem.find(':'));
  m.dtype = "fp32";
  m.status = status;
  m.median_s = median_s;
  m.flop_per_s = 1.0 / median_s;
  m.bytes_per_s = 2.0 / median_s;
  return m;
}

TEST(Series, GroupsPassedMeasurementsByProblemBackendAndDeviceOldestFirst) {
  const std::string gemm = "gemm:m=8,n=8,k=8,dtype=fp32";
  const std::string attention = "attention:b=1,h=1,s=64,d=64,dtype=fp32";
  // Ids out of time order: points follow the timestamps.
  const std::vector<tb::HistoryRun> runs = {run(3, "2026-11-01T00:00:00Z", "cpu", "EPYC"),
                                            run(1, "2026-11-02T00:00:00Z", "cpu", "EPYC"),
                                            run(2, "2026-11-03T00:00:00Z", "cpu", "EPYC"),
                                            run(4, "2026-11-01T00:00:00Z", "cpu-eigen", "EPYC")};
  const std::vector<tb::HistoryMeasurement> ms = {
      measurement(1, gemm, 2e-3), measurement(1, attention, 5e-3), measurement(2, gemm, 3e-3),
      measurement(3, gemm, 1e-3), measurement(2, attention, 1.0, "failed"), measurement(4, gemm, 9e-3),
      measurement(99, gemm, 7e-3)};  // run 99 is not in `runs`: ignored
  const std::vector<tb::Series> series = tb::build_series(runs, ms);
  ASSERT_EQ(series.size(), 3u);
  // Sorted by backend, device, then problem.
  EXPECT_EQ(series[0].problem, attention);
  EXPECT_EQ(series[0].backend, "cpu");
  ASSERT_EQ(series[0].points.size(), 1u);  // the failed one is not a point
  EXPECT_EQ(series[0].points[0].run_id, 1);
  EXPECT_EQ(series[0].kernel, "attention");
  EXPECT_EQ(series[0].dtype, "fp32");

  const tb::Series& cpu_gemm = series[1];
  EXPECT_EQ(cpu_gemm.problem, gemm);
  EXPECT_EQ(cpu_gemm.device, "EPYC");
  ASSERT_EQ(cpu_gemm.points.size(), 3u);
  EXPECT_EQ(cpu_gemm.points[0].run_id, 3);
  EXPECT_EQ(cpu_gemm.points[1].run_id, 1);
  EXPECT_EQ(cpu_gemm.points[2].run_id, 2);
  EXPECT_EQ(cpu_gemm.points[0].timestamp_utc, "2026-11-01T00:00:00Z");
  EXPECT_EQ(cpu_gemm.points[0].git_commit, "commit3");
  EXPECT_EQ(cpu_gemm.points[0].median_s, 1e-3);
  EXPECT_EQ(cpu_gemm.points[0].flop_per_s, 1e3);
  EXPECT_EQ(cpu_gemm.points[0].bytes_per_s, 2e3);

  EXPECT_EQ(series[2].backend, "cpu-eigen");
  ASSERT_EQ(series[2].points.size(), 1u);
  EXPECT_EQ(series[2].points[0].median_s, 9e-3);
}

TEST(Series, NoPassedMeasurementsNoSeries) {
  EXPECT_TRUE(tb::build_series({}, {}).empty());
  const std::vector<tb::HistoryRun> runs = {run(1, "2026-11-01T00:00:00Z", "cpu", "EPYC")};
  EXPECT_TRUE(tb::build_series(runs, {measurement(1, "gemm:m=8,n=8,k=8,dtype=fp32", 0.0, "skipped")}).empty());
}

}  // namespace
