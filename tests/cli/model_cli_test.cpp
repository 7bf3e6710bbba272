// End-to-end tests of `trainbench run --model` (a model's training step
// measured here, composed, compared with projected instances) and of
// `trainbench cost --results` (the comparison recomputed from a result file).
// The model runs use the 1B model with a few tokens per step, so that every
// problem is small.
//
// Filter: --gtest_filter='ModelRun*:Cost*'.
#include <string>
#include <vector>

#include "cli_test_support.h"

namespace tbtest {
namespace {

class ModelRun : public CliTest {
 protected:
  // run --model llama3.2-1b with a few tokens, quick timing, and `extra`.
  ProcessResult run_model(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {"--model", "llama3.2-1b", "--tokens", "16"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_quick(args);
  }
  // The one result file under out_ (fails the test otherwise).
  json result_json() const {
    const std::vector<fs::path> files = json_files(out_);
    EXPECT_EQ(files.size(), 1u);
    return files.empty() ? json() : read_json(files[0]);
  }
};
using Cost = ModelRun;

double sum_of_item_times(const json& model_run) {
  double sum = 0;
  for (const json& item : model_run["items"]) sum += item["count"].get<double>() * item["time_s"].get<double>();
  return sum;
}

TEST_F(ModelRun, ComposesTheStepAndComparesTheDefaultInstances) {
  const ProcessResult r = run_model({"--price", "0.5"});
  ASSERT_TRUE(exited_with(r, 0));
  for (const char* needle : {"Step breakdown on this machine (measured", "model FLOP per token (training): ",
                             "Cost comparison", "Projection check", "largest GEMM"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
  }
  for (const char* instance : {"trn1.32xlarge", "trn2.48xlarge", "p4d.24xlarge", "p5.48xlarge", "p5en.48xlarge"}) {
    const std::vector<std::string> row = row_starting(r.out, instance);
    ASSERT_GE(row.size(), 3u) << instance << "\n" << r.out;
    EXPECT_EQ(row[1].rfind("[", 0) == 0 ? row[2] : row[1], "projected") << instance;
  }
  const json doc = result_json();
  const json& m = doc["model_run"];
  ASSERT_TRUE(m.is_object()) << doc.dump(1);
  EXPECT_EQ(m["model"]["name"], "llama3.2-1b");
  EXPECT_EQ(m["tokens_per_step"], 16);
  EXPECT_EQ(m["run"]["seq_len"], 16);
  EXPECT_EQ(m["run"]["micro_batch"], 1);
  // 17 items (6 forward, 6 backward-data with attention, 5 backward-weight), each from one passed problem.
  ASSERT_EQ(m["items"].size(), 17u);
  EXPECT_EQ(doc["results"].size(), 17u) << "every item is a distinct problem at this shape";
  for (const json& result : doc["results"]) EXPECT_EQ(result["status"], "passed") << result["problem"];
  for (const json& item : m["items"]) EXPECT_GT(item["time_s"].get<double>(), 0.0) << item["problem"];
  // tp = dp = 1: no communication; the step is the sum of count x time.
  const double step_s = m["step_time"]["step_s"].get<double>();
  EXPECT_NEAR(step_s, sum_of_item_times(m), 1e-9 * step_s);
  EXPECT_EQ(m["step_time"]["tp_comm_s"], 0.0);
  // The comparison: this machine (measured, priced by --price) and five projected instances.
  const json& rows = m["comparison"]["rows"];
  ASSERT_EQ(rows.size(), 6u) << rows.dump(1);
  int measured = 0;
  for (const json& row : rows) {
    if (row["provenance"] == "measured") {
      ++measured;
      EXPECT_EQ(row["usd_per_hour"], 0.5);
      // The row's step: the measured kernels plus the memory-bound operations and the
      // optimizer projected at this machine's bandwidth (a note says so).
      const double row_step_s = row["step_time_s"].get<double>();
      EXPECT_GT(row_step_s, step_s);
      const double tokens_per_s = row["tokens_per_s_instance"].get<double>();
      EXPECT_NEAR(tokens_per_s, 16.0 / row_step_s, 1e-9 * tokens_per_s);
      ASSERT_EQ(row["notes"].size(), 1u) << row.dump();
      EXPECT_NE(row["notes"][0].get<std::string>().find("memory-bound operations and the optimizer update projected"),
                std::string::npos);
      EXPECT_NEAR(row["usd_per_million_tokens"].get<double>(), 0.5 / 3600.0 / tokens_per_s * 1e6,
                  1e-9 * row["usd_per_million_tokens"].get<double>());
      ASSERT_TRUE(row["projection_error_fraction"].is_number()) << "the model's own check travels with the row";
      EXPECT_GT(row["projection_error_fraction"].get<double>(), -1.0);
    } else {
      EXPECT_EQ(row["provenance"], "projected");
      EXPECT_TRUE(row["projection_error_fraction"].is_null());
    }
  }
  EXPECT_EQ(measured, 1);
}

TEST_F(ModelRun, TensorAndDataParallelAllReducesAreMeasuredAndScaled) {
  const ProcessResult r = run_model({"--tp", "2", "--dp", "2", "--max-allreduce-bytes", "1M", "--instance", "none"});
  ASSERT_TRUE(exited_with(r, 0));
  const json m = result_json()["model_run"];
  int tp = 0, dp = 0;
  for (const json& item : m["items"]) {
    if (item["phase"] == "tp-comm") {
      ++tp;
      EXPECT_EQ(item["scale"], 1.0);
      EXPECT_EQ(item["measured_problem"], item["problem"]);
      EXPECT_EQ(item["count"], 4 * 16);
    }
    if (item["phase"] == "dp-comm") {
      ++dp;
      const std::string measured = item["measured_problem"].get<std::string>();
      EXPECT_EQ(measured.rfind("allreduce:bytes=1M,", 0), 0u) << measured;
      EXPECT_NE(measured.find(",ranks=2,"), std::string::npos) << measured;
      EXPECT_NEAR(item["scale"].get<double>(), item["allreduce_bytes"].get<double>() / 1048576.0, 1e-9);
    }
  }
  EXPECT_EQ(tp, 1);
  EXPECT_EQ(dp, 1);
  const json& t = m["step_time"];
  EXPECT_GT(t["tp_comm_s"].get<double>(), 0.0);
  EXPECT_GT(t["dp_comm_s"].get<double>(), 0.0);
  EXPECT_NEAR(t["dp_exposed_s"].get<double>(),
              std::max(0.0, t["dp_comm_s"].get<double>() - t["backward_compute_s"].get<double>()), 1e-12);
  EXPECT_NE(r.out.find("(time scaled x"), std::string::npos) << r.out;
}

TEST_F(ModelRun, WithoutOverlapTheWholeGradientAllReduceIsExposed) {
  const ProcessResult r = run_model({"--dp", "2", "--max-allreduce-bytes", "64K", "--dp-overlap", "off", "--instance", "none"});
  ASSERT_TRUE(exited_with(r, 0));
  const json m = result_json()["model_run"];
  EXPECT_EQ(m["overlap_dp_with_backward"], false);
  EXPECT_EQ(m["step_time"]["dp_exposed_s"], m["step_time"]["dp_comm_s"]);
  EXPECT_GT(m["step_time"]["dp_comm_s"].get<double>(), 0.0);
}

TEST_F(ModelRun, BadInputIsRejectedBeforeAnythingRuns) {
  expect_bad_input(run_quick({"--model", "llama3-8", "--tokens", "16"}), {"llama3-8", "did you mean 'llama3-8b'"});
  expect_bad_input(run_model({"--tp", "3"}), {"tp=3", "heads"});
  expect_bad_input(run_model({"--instance", "p5.48xlarg"}), {"p5.48xlarg", "p5.48xlarge"});
  expect_bad_input(run_model({"--instance", "c7a.xlarge"}), {"c7a.xlarge", "cannot be projected"});
  expect_bad_input(run_model({"--pricing", "cheap"}), {"cheap", "on-demand"});
  expect_bad_input(run_model({"--price", "abc"}), {"--price 'abc'", "USD per hour"});
  expect_bad_input(run_model({"--price", "p5.48xlarge=-1"}), {"p5.48xlarge=-1"});
  expect_bad_input(run_model({"--train-tokens", "1X"}), {"1X"});
  expect_bad_input(run_model({"--efficiency", "gemm.bogus=1"}), {"gemm.bogus=1"});
  expect_bad_input(run_model({"--dp-overlap", "maybe"}), {"maybe", "on or off"});
  expect_bad_input(run_quick({"--model", "llama3.2-1b", "--tokens", "0"}), {"--tokens '0'"});
  expect_bad_input(run_quick({"--model", "llama3.2-1b", "--tokens", "10000"}), {"--tokens 10000", "8192"});
  expect_bad_input(run_model({"--problem", "gemm:m=8,n=8,k=8"}), {"--model", "--problem"});
  expect_bad_input(run_model({"--max-allreduce-bytes", "512"}), {"--max-allreduce-bytes 512"});
}

using ListModels = CliTest;

TEST_F(ListModels, PrintsFlopPerTokenWithinThreePercentOfTheFormula) {
  const ProcessResult r = trainbench({"list", "models"});
  ASSERT_TRUE(exited_with(r, 0));
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_GE(lines.size(), 6u) << r.out;
  EXPECT_EQ(words_of(lines[0]).back(), "diff");
  EXPECT_EQ(words_of(lines[1]).back(), "%") << "units row";
  for (const char* model : {"llama3.2-1b", "llama3-8b", "llama3-70b", "gpt3-175b"}) {
    const std::vector<std::string> row = row_starting(r.out, model);
    ASSERT_EQ(row.size(), 12u) << model << "\n" << r.out;
    const double ours = std::stod(row[9]), analytic = std::stod(row[10]);
    EXPECT_NEAR(ours / analytic, 1.0, 0.03) << model;
    EXPECT_NEAR(std::stod(row[11]), 100.0 * (ours / analytic - 1.0), 0.15) << model;  // GFLOP printed to 0.01
  }
  EXPECT_EQ(row_starting(r.out, "llama3-8b")[9], "52.55") << "6 x 7.505e9 + attention at seq_len 8192";
}

TEST_F(Cost, RecomputesTheComparisonFromAResultFile) {
  ASSERT_TRUE(exited_with(run_model({"--instance", "none"}), 0));
  const std::vector<fs::path> files = json_files(out_);
  ASSERT_EQ(files.size(), 1u);
  const ProcessResult r = trainbench({"cost", "--results", files[0].string(), "--instance", "p5.48xlarge,trn1.32xlarge",
                                      "--price", "0.25", "--train-tokens", "300B"});
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_NE(r.out.find("time and cost to train"), std::string::npos) << r.out;
  // trn1.32xlarge's price is dated 2026-06-01: more than the default 90 days ago.
  EXPECT_NE(r.err.find("trainbench: warning: trn1.32xlarge: price dated 2026-06-01"), std::string::npos) << r.err;
  const std::vector<std::string> p5 = row_starting(r.out, "p5.48xlarge");
  ASSERT_GE(p5.size(), 2u) << r.out;
  EXPECT_EQ(p5[1], "projected");
  EXPECT_NE(r.out.find("measured"), std::string::npos) << r.out;

  // CSV: one row per instance plus this machine, sorted by USD per 1M tokens.
  const ProcessResult csv = trainbench({"cost", "--results", files[0].string(), "--instance", "p5.48xlarge,trn1.32xlarge",
                                        "--price", "0.25", "--format", "csv"});
  ASSERT_TRUE(exited_with(csv, 0));
  const auto rows = parse_csv(csv.out);
  ASSERT_EQ(rows.size(), 4u) << csv.out;
  const std::size_t usd = column(rows[0], "usd_per_million_tokens");
  const std::size_t provenance = column(rows[0], "provenance");
  double previous = 0;
  int measured = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const double value = std::stod(rows[i][usd]);
    EXPECT_GE(value, previous) << csv.out;
    previous = value;
    measured += rows[i][provenance] == "measured";
  }
  EXPECT_EQ(measured, 1);
}

TEST_F(Cost, RejectsResultFilesItCannotUse) {
  const fs::path plain = make_result_file(dir_ / "runs");
  expect_bad_input(trainbench({"cost", "--results", plain.string()}), {plain.string(), "no model run", "--model"},
                   false, {plain});

  json doc = read_json(plain);
  doc["context"]["trainbench"]["schema_version"] = 2;
  const fs::path other = dir_ / "other-version.json";
  write_text(other, doc.dump());
  expect_bad_input(trainbench({"cost", "--results", other.string()}), {other.string(), "schema_version 2"}, false,
                   {plain, other});

  const fs::path broken = dir_ / "broken.json";
  write_text(broken, "{\"context\": ");
  expect_bad_input(trainbench({"cost", "--results", broken.string()}), {broken.string(), "not valid JSON"}, false,
                   {plain, other, broken});
  expect_bad_input(trainbench({"cost", "--results", (dir_ / "missing.json").string()}), {"missing.json"}, false,
                   {plain, other, broken});
}

}  // namespace
}  // namespace tbtest
