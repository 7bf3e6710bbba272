// Published runs (data/published-runs.csv), the fit of one factor per device
// class on calibration rows only, the leave-one-out error and the stated
// error (cost/calibration.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "catalog/published_runs.h"
#include "cost/calibration.h"
#include "support/temp_dir.h"
#include "support/text.h"

namespace tb {
namespace {

using tbtest::expect_contains_all;
using tbtest::TempDir;

const char* kHeader =
    "id,model,hardware,instance,devices,tp,pp,dp,vpp,cp,zero,recompute,seq,micro_batch,global_batch,precision,stack,"
    "tokens_per_s_per_device,mfu_published,source_kind,source,date,notes\n";

struct Fixture {
  InstanceCatalog catalog = *read_instance_catalog(default_instance_catalog_path());
  EfficiencyTable efficiency = *read_efficiency_table(default_efficiency_table_path());
};

PublishedRun run(const std::string& id, std::int64_t devices, std::int64_t tp, std::int64_t pp, std::int64_t dp,
                 std::int64_t global_batch, bool calibration) {
  PublishedRun r;
  r.id = id;
  r.model = "llama3-8b";
  r.hardware = "H100-SXM";
  r.instance = "p5.48xlarge";
  r.devices = devices;
  r.tp = tp;
  r.pp = pp;
  r.dp = dp;
  r.zero = 1;
  r.recompute = "none";
  r.seq = 8192;
  r.micro_batch = 1;
  r.global_batch = global_batch;
  r.precision = "bf16";
  r.calibration = calibration;
  r.source = "test";
  r.date = "2026-12-07";
  return r;
}

// Sets each run's published throughput to what the model projects with
// H100-SXM's GEMM compute efficiency at `factor`, times `scale`.
void plant(std::vector<PublishedRun>& runs, const Fixture& f, double factor, double scale = 1.0) {
  EfficiencyTable planted = f.efficiency;
  for (EfficiencyRow& row : planted.rows)
    if (row.device_class == "H100-SXM" && row.kernel == "gemm") row.compute = factor;
  const ModelConfig model = *load_model("llama3-8b");
  const ProjectionTarget target = *projection_target(*f.catalog.find("p5.48xlarge"), DType::kBf16);
  for (PublishedRun& r : runs) {
    const TrainingPlan plan = *plan_of(r, model);
    r.tokens_per_s_per_device = project_training(model, plan, target, planted)->tokens_per_s_per_device * scale;
  }
}

ValidationReport validate(const std::vector<PublishedRun>& runs, const Fixture& f) {
  CalibrationInputs in{&runs, &f.catalog, &f.efficiency, default_models_dir()};
  Expected<ValidationReport> report = validate_published_runs(in);
  EXPECT_TRUE(report.ok()) << report.error().message;
  return report.ok() ? *report : ValidationReport{};
}

TEST(Calibration, TheFitRecoversAPlantedFactorAndLeaveOneOutFindsNoError) {
  const Fixture f;
  std::vector<PublishedRun> runs = {run("a", 8, 1, 1, 8, 64, true), run("b", 16, 2, 1, 8, 64, true),
                                    run("c", 64, 4, 2, 8, 128, true)};
  plant(runs, f, 0.6);
  const ValidationReport report = validate(runs, f);
  ASSERT_EQ(report.classes.size(), 1u);
  ASSERT_TRUE(report.classes[0].fitted.has_value());
  EXPECT_NEAR(*report.classes[0].fitted, 0.6, 0.002);
  for (const CheckedRun& r : report.runs) {
    EXPECT_TRUE(r.skipped.empty()) << r.skipped;
    EXPECT_NEAR(r.loo_error, 0.0, 0.005) << r.run.id;
    EXPECT_NEAR(r.loo_factor, 0.6, 0.005) << r.run.id;
  }
  EXPECT_LT(report.overall.loo_mean_abs_error, 0.005);
}

TEST(Calibration, ValidationRowsAreNeverFitted) {
  const Fixture f;
  std::vector<PublishedRun> runs = {run("a", 8, 1, 1, 8, 64, true), run("b", 16, 2, 1, 8, 64, true)};
  plant(runs, f, 0.6);
  std::vector<PublishedRun> judge = {run("v", 8, 1, 1, 8, 64, false)};
  plant(judge, f, 0.6, 3.0);  // published 3x what the model says
  runs.push_back(judge[0]);
  const ValidationReport report = validate(runs, f);
  EXPECT_NEAR(*report.classes[0].fitted, 0.6, 0.002);
  EXPECT_EQ(report.classes[0].calibration_runs, 2);
  EXPECT_EQ(report.classes[0].runs, 3);
  const CheckedRun& v = report.runs[2];
  EXPECT_EQ(v.loo_error, v.error);  // judged with the table's factors, not refitted
  const StatedError stated = stated_error(&report, "H100-SXM");
  ASSERT_TRUE(stated.mean_abs_error.has_value());
  EXPECT_EQ(stated.runs, 3);
  EXPECT_NEAR(*stated.mean_abs_error, (std::fabs(report.runs[0].loo_error) + std::fabs(report.runs[1].loo_error) +
                                       std::fabs(v.error)) / 3, 1e-12);
  expect_contains_all(stated.text(), {"leave-one-out", "3 published runs", "H100-SXM"});
}

TEST(Calibration, CostRatiosOfOneModelOnTwoDeviceClassesByHand) {
  const Fixture f;
  std::vector<PublishedRun> runs = {run("p5", 8, 1, 1, 8, 64, true), run("p5b", 8, 2, 1, 4, 64, true)};
  PublishedRun trn = run("trn", 16, 4, 1, 4, 64, true);
  trn.hardware = "Trainium";
  trn.instance = "trn1.32xlarge";
  runs.push_back(trn);
  runs[0].tokens_per_s_per_device = 1000;  // 8 GPUs, one p5: 8000 tokens/s
  runs[1].tokens_per_s_per_device = 900;
  runs[2].tokens_per_s_per_device = 500;   // 16 chips, one trn1: 8000 tokens/s
  const ValidationReport report = validate(runs, f);
  ASSERT_EQ(report.cost_ratios.size(), 1u);  // the first row of each class: trn over p5
  const CostRatio& c = report.cost_ratios[0];
  EXPECT_EQ(c.run_a, "trn");
  EXPECT_EQ(c.run_b, "p5");
  const double p5 = *f.catalog.find("p5.48xlarge")->on_demand_usd_per_hour;
  const double trn1 = *f.catalog.find("trn1.32xlarge")->on_demand_usd_per_hour;
  EXPECT_NEAR(c.published_ratio, trn1 / p5, 1e-12);  // same tokens/s per instance
  const double projected = (trn1 / (report.runs[2].projected * 16)) / (p5 / (report.runs[0].projected * 8));
  EXPECT_NEAR(c.projected_ratio, projected, 1e-9);
  EXPECT_NEAR(c.error, projected / (trn1 / p5) - 1.0, 1e-9);
  const double loo = (trn1 / (report.runs[2].loo_projected * 16)) / (p5 / (report.runs[0].loo_projected * 8));
  EXPECT_NEAR(c.loo_ratio, loo, 1e-9);
}

TEST(Calibration, AClassWithoutPublishedRunsIsUnvalidated) {
  const ValidationReport none;
  const StatedError s = stated_error(&none, "Trainium2");
  EXPECT_FALSE(s.mean_abs_error.has_value());
  EXPECT_EQ(s.text(), "unvalidated: no published run for Trainium2");
  EXPECT_EQ(s.cell(), "unvalidated");
  EXPECT_EQ(stated_error(nullptr, "H100-SXM").text(), "unvalidated: no published runs were read");
}

TEST(Calibration, Fp8RowsAreSkippedWithTheReason) {
  const Fixture f;
  std::vector<PublishedRun> runs = {run("a", 8, 1, 1, 8, 64, true)};
  plant(runs, f, 0.6);
  runs[0].precision = "fp8";
  const ValidationReport report = validate(runs, f);
  expect_contains_all(report.runs[0].skipped, {"fp8", "only bf16"});
  EXPECT_TRUE(report.classes.empty());
}

TEST(PublishedRuns, TheShippedFileReadsAndEveryRowIsProjected) {
  const Fixture f;
  Expected<std::vector<PublishedRun>> runs = read_published_runs(default_published_runs_path());
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  EXPECT_GE(runs->size(), 11u);
  const ValidationReport report = validate(*runs, f);
  for (const CheckedRun& r : report.runs) EXPECT_TRUE(r.skipped.empty()) << r.run.id << ": " << r.skipped;
}

TEST(PublishedRuns, TheShippedFactorsAreTheFitOnTheirRows) {
  // data/efficiency.csv's fitted rows must be what the fit gives on the rows
  // they name, or `validate`'s in-sample figures describe other factors.
  const Fixture f;
  const std::vector<PublishedRun> runs = *read_published_runs(default_published_runs_path());
  const ValidationReport report = validate(runs, f);
  int fitted_rows = 0;
  for (const EfficiencyRow& row : f.efficiency.rows) {
    if (row.fitted_on.empty()) continue;
    ++fitted_rows;
    EXPECT_EQ(row.kernel, kFittedOp);
    for (const ClassError& c : report.classes) {
      if (c.device_class != row.device_class) continue;
      ASSERT_TRUE(c.fitted.has_value());
      EXPECT_NEAR(row.compute, *c.fitted, 0.0015) << row.device_class;
      EXPECT_EQ(static_cast<int>(row.fitted_on.size()), c.calibration_runs) << row.device_class;
    }
    for (const std::string& id : row.fitted_on) {
      const auto it = std::find_if(runs.begin(), runs.end(), [&](const PublishedRun& r) { return r.id == id; });
      ASSERT_NE(it, runs.end()) << id;
      EXPECT_TRUE(it->calibration) << id << " is a validation row: it must never be fitted on";
    }
  }
  EXPECT_GE(fitted_rows, 2);
}

TEST(PublishedRuns, BrokenFilesAreRefusedNamingTheLineAndValue) {
  const TempDir dir;
  const std::string good_row =
      "r1,llama3-8b,H100-SXM,p5.48xlarge,8,1,1,8,1,1,1,none,8192,1,64,bf16,NeMo,1000,0.5,calibration,src,2025-01-01,\n";
  ASSERT_TRUE(read_published_runs(dir.write("ok.csv", std::string(kHeader) + good_row)).ok());
  std::string bad = good_row;
  bad.replace(bad.find("calibration"), 11, "fitted");
  expect_contains_all(read_published_runs(dir.write("kind.csv", kHeader + bad)).error().message,
                      {"kind.csv:2", "source_kind 'fitted'", "calibration"});
  expect_contains_all(read_published_runs(dir.write("dup.csv", kHeader + good_row + good_row)).error().message,
                      {"dup.csv:3", "id 'r1'", "line 2"});
  std::string zero = good_row;
  zero.replace(zero.find(",8,1,1,8,"), 9, ",0,1,1,8,");
  expect_contains_all(read_published_runs(dir.write("zero.csv", kHeader + zero)).error().message,
                      {"zero.csv:2", "devices '0'"});
  std::string mfu = good_row;
  mfu.replace(mfu.find(",0.5,"), 5, ",55,");
  expect_contains_all(read_published_runs(dir.write("mfu.csv", kHeader + mfu)).error().message,
                      {"mfu_published '55'"});
  std::string date = good_row;
  date.replace(date.find("2025-01-01"), 10, "2025/01/01");
  expect_contains_all(read_published_runs(dir.write("date.csv", kHeader + date)).error().message,
                      {"date '2025/01/01'", "YYYY-MM-DD"});
}

}  // namespace
}  // namespace tb
