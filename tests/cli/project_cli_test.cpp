// `trainbench project` and `trainbench validate` end to end (docs/cost.md,
// "Projecting a training job", "Published runs and the stated error").
#include <string>
#include <vector>

#include "cli_test_support.h"

namespace tbtest {
namespace {

class Project : public CliTest {};

const std::vector<std::string> k70b = {"project", "--model", "llama3-70b", "--devices", "128", "--tp", "4",
                                       "--pp", "4", "--dp", "8", "--vpp", "5", "--zero", "1",
                                       "--seq", "8192", "--micro-batch", "1", "--global-batch", "128"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST_F(Project, JsonHasOneObjectPerInstanceWithTheIssueFields) {
  const ProcessResult r = trainbench(with(k70b, {"--instance", "p5.48xlarge,trn1.32xlarge,trn2.48xlarge", "--format",
                                                 "json"}));
  ASSERT_TRUE(exited_with(r, 0)) << r.describe();
  const json doc = json::parse(r.out);
  ASSERT_EQ(doc["projections"].size(), 3u);
  for (const json& row : doc["projections"]) {
    for (const char* field : {"instance", "tokens_per_s_per_device", "step_time_s", "mfu", "mfu_6n_12lds",
                              "usd_per_million_tokens", "fits_in_memory", "memory_per_device_bytes", "provenance",
                              "stated_error"}) {
      EXPECT_TRUE(row.contains(field)) << field << " in " << row.dump();
    }
    EXPECT_EQ(row["provenance"], "projected");
    EXPECT_EQ(row["devices"], 128);
    if (row["fits_in_memory"] == true) {
      EXPECT_GT(row["tokens_per_s_per_device"].get<double>(), 0.0);
      EXPECT_LT(row["mfu"].get<double>(), 1.0);
      EXPECT_GT(row["mfu_6n_12lds"].get<double>(), row["mfu"].get<double>());
    } else {
      EXPECT_TRUE(row["tokens_per_s_per_device"].is_null());
    }
    if (row["instance"] == "trn2.48xlarge") {
      EXPECT_TRUE(row["stated_error"].is_null());
      EXPECT_EQ(row["stated_error_text"], "unvalidated: no published run for Trainium2");
    } else {
      ASSERT_TRUE(row["stated_error"].is_object()) << row.dump();
      EXPECT_GT(row["stated_error"]["runs"].get<int>(), 0);
      EXPECT_GT(row["stated_error"]["mean_abs_error"].get<double>(), 0.0);
    }
  }
}

TEST_F(Project, TableHasAUnitsRowAndNamesBothMfuConventions) {
  const ProcessResult r = trainbench(with(k70b, {"--instance", "p5.48xlarge"}));
  ASSERT_TRUE(exited_with(r, 0)) << r.describe();
  for (const char* needle : {"tokens/s/device", "USD/1M tokens", "GiB", "MFU 6N+12LdS", "+/-", "projected",
                             "p5.48xlarge price: on-demand"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
  }
}

TEST_F(Project, AJobThatDoesNotFitGivesNoThroughput) {
  const ProcessResult r = trainbench({"project", "--model", "llama3-70b", "--devices", "8", "--instance",
                                      "p5.48xlarge", "--format", "json"});
  ASSERT_TRUE(exited_with(r, 0)) << r.describe();
  const json row = json::parse(r.out)["projections"][0];
  EXPECT_EQ(row["fits_in_memory"], false);
  EXPECT_TRUE(row["tokens_per_s_per_device"].is_null());
  EXPECT_TRUE(row["usd_per_million_tokens"].is_null());
  const ProcessResult table = trainbench({"project", "--model", "llama3-70b", "--devices", "8", "--instance",
                                          "p5.48xlarge"});
  EXPECT_NE(table.out.find("does not fit: needs"), std::string::npos) << table.out;
}

TEST_F(Project, BadInputNamesTheValue) {
  expect_bad_input(trainbench({"project", "--model", "llama3-70b", "--devices", "128", "--tp", "4", "--pp", "4",
                               "--dp", "4"}),
                   {"tp x cp x pp x dp = 4 x 1 x 4 x 4 = 64", "--devices is 128"});
  expect_bad_input(trainbench({"project", "--model", "llama3-70b", "--devices", "96", "--tp", "3"}),
                   {"tp=3 does not divide heads=64"});
  expect_bad_input(trainbench({"project", "--model", "llama3-70b", "--devices", "64", "--tp", "8",
                               "--global-batch", "100"}),
                   {"--global-batch 100", "dp x micro-batch = 8 x 1 = 8"});
  expect_bad_input(trainbench({"project", "--model", "llama3-8b", "--devices", "64", "--pp", "64"}),
                   {"--pp 64", "32"});
  expect_bad_input(trainbench({"project", "--model", "llama3-8b", "--devices", "8", "--tp", "0"}),
                   {"--tp 0 is out of range", "1 to 256"});
  expect_bad_input(trainbench({"project", "--model", "llama3-8b", "--devices", "12", "--tp", "8"}),
                   {"--devices 12 is not a multiple of tp x cp x pp = 8"});
  expect_bad_input(trainbench({"project", "--model", "llama9", "--devices", "8"}), {"llama9"});
  expect_bad_input(trainbench({"project", "--model", "llama3-8b", "--devices", "8", "--instance", "p9.huge"}),
                   {"p9.huge"});
  expect_bad_input(trainbench({"project", "--model", "llama3-8b", "--devices", "8", "--recompute", "most"}),
                   {"'most'", "none, selective or full"});
  expect_bad_input(trainbench({"project", "--model", "llama3-8b", "--devices", "16", "--tp", "16",
                               "--instance", "p5.48xlarge"}),
                   {"--tp 16", "8 devices of one p5.48xlarge"});
}

TEST_F(Project, AllInstancesSkipsThoseThatCannotRunThePlan) {
  const ProcessResult r = trainbench({"project", "--model", "llama3-8b", "--devices", "64", "--tp", "4", "--zero",
                                      "1", "--global-batch", "256", "--instance", "all", "--format", "json"});
  ASSERT_TRUE(exited_with(r, 0)) << r.describe();
  const json doc = json::parse(r.out);
  EXPECT_GE(doc["projections"].size(), 5u);
  EXPECT_FALSE(doc["skipped"].empty());  // CPU-only and one-GPU instances
}

TEST_F(Project, ValidatePrintsEveryRunAndTheLeaveOneOutError) {
  const ProcessResult r = trainbench({"validate", "--format", "json"});
  ASSERT_TRUE(exited_with(r, 0)) << r.describe();
  const json doc = json::parse(r.out);
  EXPECT_GE(doc["runs"].size(), 11u);
  EXPECT_GT(doc["overall"]["runs"].get<int>(), 10);
  for (const json& c : doc["device_classes"]) EXPECT_TRUE(c.contains("loo_mean_abs_error")) << c.dump();
  const ProcessResult table = trainbench({"validate"});
  ASSERT_TRUE(exited_with(table, 0)) << table.describe();
  EXPECT_NE(table.out.find("leave-one-out MAE"), std::string::npos) << table.out;
  expect_bad_input(trainbench({"validate", "--published-runs", (dir_ / "missing.csv").string()}), {"missing.csv"});
}

}  // namespace
}  // namespace tbtest
