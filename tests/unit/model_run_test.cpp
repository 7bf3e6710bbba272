// The measurement plan of a model step (unique problems, capped all-reduces
// and their scale) and the "model_run" object of a result file (round trip,
// field names with units, malformed documents named by field).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/model_config.h"
#include "report/model_run_json.h"
#include "report/result_json.h"
#include "runner/step_measurement.h"

namespace tb {
namespace {

using nlohmann::json;

StepDecomposition step_of(const std::string& model, std::int64_t seq_len, std::int64_t tp, std::int64_t dp) {
  Expected<ModelConfig> m = load_model(model);
  EXPECT_TRUE(m.ok()) << m.error().message;
  RunSettings run = m->defaults;
  run.seq_len = seq_len;
  run.tp = tp;
  run.dp = dp;
  Expected<StepDecomposition> step = decompose(*m, run);
  EXPECT_TRUE(step.ok()) << step.error().message;
  return *step;
}

TEST(StepMeasurementTest, EachUniqueProblemRunsOnceAndItemsMapToIt) {
  const StepDecomposition step = step_of("llama3.2-1b", 64, 1, 1);
  const Expected<StepMeasurementPlan> plan = plan_step_measurement(step, kDefaultMaxAllreduceBytes);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan->problem_of_item.size(), step.items.size());
  for (std::size_t i = 0; i < step.items.size(); ++i) {
    EXPECT_EQ(plan->problems[plan->problem_of_item[i]]->to_string(), step.items[i].problem);
    EXPECT_EQ(plan->scale[i], 1.0);
  }
  std::vector<std::string> names;
  for (const ProblemPtr& p : plan->problems) names.push_back(p->to_string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "a problem planned twice";
}

TEST(StepMeasurementTest, SharedShapesAreMeasuredOnce) {
  // Two items of one problem (in different phases) share one measurement.
  StepDecomposition step = step_of("llama3.2-1b", 64, 1, 1);
  step.items.push_back(step.items[0]);
  step.items.back().phase = "bwd-data";
  const Expected<StepMeasurementPlan> plan = plan_step_measurement(step, kDefaultMaxAllreduceBytes);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->problems.size(), step.items.size() - 1);
  EXPECT_EQ(plan->problem_of_item.back(), plan->problem_of_item.front());
}

TEST(StepMeasurementTest, LargeAllReducesAreCappedAndScaledByBytes) {
  const StepDecomposition step = step_of("llama3.2-1b", 64, 2, 2);
  const Expected<StepMeasurementPlan> plan = plan_step_measurement(step, 1 << 20);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  int capped = 0;
  for (std::size_t i = 0; i < step.items.size(); ++i) {
    const StepItem& item = step.items[i];
    const ProblemPtr& run = plan->problems[plan->problem_of_item[i]];
    if (item.kernel != "allreduce") continue;
    if (item.bytes > (1 << 20)) {
      ++capped;
      EXPECT_EQ(run->min_bytes(), 1 << 20) << run->to_string();
      EXPECT_DOUBLE_EQ(plan->scale[i], static_cast<double>(item.bytes) / (1 << 20));
      EXPECT_EQ(run->collective()->ranks, 2);
    } else {
      EXPECT_EQ(run->to_string(), item.problem);
      EXPECT_EQ(plan->scale[i], 1.0);
    }
  }
  EXPECT_EQ(capped, 1) << "the gradient all-reduce (gigabytes) is capped; the activations' (256 KiB) are not";
  EXPECT_FALSE(plan_step_measurement(step, 1000).ok());
}

TEST(StepMeasurementTest, ItemTimesComeFromPassedResultsOnly) {
  const StepDecomposition step = step_of("llama3.2-1b", 64, 2, 2);
  const StepMeasurementPlan plan = *plan_step_measurement(step, 1 << 20);
  std::vector<ProblemResult> results(plan.problems.size());
  for (std::size_t p = 0; p < results.size(); ++p) {
    results[p].status = ResultStatus::kPassed;
    results[p].time_s.median = 1e-3 * static_cast<double>(p + 1);
  }
  std::vector<StepItemResult> items = step_item_results(step, plan, results);
  ASSERT_EQ(items.size(), step.items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_DOUBLE_EQ(items[i].time_s, 1e-3 * static_cast<double>(plan.problem_of_item[i] + 1) * plan.scale[i]);
  }
  ASSERT_TRUE(item_seconds(items).ok());

  results[plan.problem_of_item[3]].status = ResultStatus::kFailed;
  items = step_item_results(step, plan, results);
  EXPECT_EQ(items[3].time_s, 0.0);
  const Expected<std::vector<double>> seconds = item_seconds(items);
  ASSERT_FALSE(seconds.ok());
  EXPECT_EQ(seconds.error().code, ErrorCode::kRunFailure);
  EXPECT_NE(seconds.error().message.find(items[3].measured_problem), std::string::npos) << seconds.error().message;
}

ModelRunRecord sample_model_run() {
  const StepDecomposition step = step_of("llama3.2-1b", 64, 2, 2);
  const StepMeasurementPlan plan = *plan_step_measurement(step, 1 << 20);
  std::vector<ProblemResult> results(plan.problems.size());
  for (ProblemResult& r : results) {
    r.status = ResultStatus::kPassed;
    r.time_s.median = 2e-3;
  }
  ModelRunRecord m;
  m.model = step.model;
  m.run = step.run;
  m.tokens = step.tokens;
  m.flop_per_token = step.flop_per_token();
  m.device_flop = step.device_flop();
  m.step_options.overlap_dp_with_backward = false;
  m.items = step_item_results(step, plan, results);
  m.step = *compose_step(step, *item_seconds(m.items), m.step_options);
  m.train_tokens = 1e12;
  m.pricing = "spot";
  return m;
}

TEST(ModelRunJsonTest, FieldsCarryUnitsAndRoundTrip) {
  const ModelRunRecord m = sample_model_run();
  const json j = model_run_to_json(m);
  EXPECT_EQ(j.at("tokens_per_step"), 64);
  EXPECT_TRUE(j.at("items").at(0).contains("time_s"));
  EXPECT_TRUE(j.at("items").at(0).contains("allreduce_bytes"));
  EXPECT_TRUE(j.at("step_time").contains("step_s"));
  EXPECT_EQ(j.at("comparison").at("pricing"), "spot");

  const Expected<ModelRunRecord> back = model_run_from_json(json_io::Reader(j, "$.model_run"));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->model.name, "llama3.2-1b");
  EXPECT_EQ(back->model.parameters().total, m.model.parameters().total);
  EXPECT_EQ(back->run.tp, 2);
  EXPECT_EQ(back->run.dp, 2);
  EXPECT_EQ(back->run.seq_len, 64);
  EXPECT_EQ(back->step_options.overlap_dp_with_backward, false);
  ASSERT_EQ(back->items.size(), m.items.size());
  for (std::size_t i = 0; i < m.items.size(); ++i) {
    EXPECT_EQ(back->items[i].item.problem, m.items[i].item.problem);
    EXPECT_EQ(back->items[i].item.count, m.items[i].item.count);
    EXPECT_EQ(back->items[i].measured_problem, m.items[i].measured_problem);
    EXPECT_DOUBLE_EQ(back->items[i].time_s, m.items[i].time_s);
    EXPECT_DOUBLE_EQ(back->items[i].scale, m.items[i].scale);
  }
  ASSERT_TRUE(back->step.has_value());
  EXPECT_DOUBLE_EQ(back->step->step_s, m.step->step_s);
  EXPECT_EQ(back->step->shares.size(), m.step->shares.size());
}

TEST(ModelRunJsonTest, ResultDocumentsCarryItOnlyWhenSet) {
  RunRecord record;
  record.context.backend = "cpu";
  EXPECT_FALSE(to_json(record).contains("model_run"));
  record.model_run = sample_model_run();
  const json doc = to_json(record);
  ASSERT_TRUE(doc.contains("model_run"));
  const Expected<RunRecord> back = from_json(doc);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_TRUE(back->model_run.has_value());
  EXPECT_EQ(back->model_run->items.size(), record.model_run->items.size());
}

TEST(ModelRunJsonTest, MalformedFieldsAreNamed) {
  const json good = model_run_to_json(sample_model_run());
  const auto error_of = [](const json& j) {
    const Expected<ModelRunRecord> r = model_run_from_json(json_io::Reader(j, "$.model_run"));
    return r.ok() ? std::string() : r.error().message;
  };
  json j = good;
  j["run"]["tp"] = 0;
  EXPECT_NE(error_of(j).find("$.model_run.run.tp"), std::string::npos) << error_of(j);
  j = good;
  j["model"]["mlp"] = "moe";
  EXPECT_NE(error_of(j).find("'moe'"), std::string::npos) << error_of(j);
  j = good;
  j["items"][2].erase("time_s");
  EXPECT_NE(error_of(j).find("$.model_run.items[2].time_s"), std::string::npos) << error_of(j);
  j = good;
  j["run"]["dtype"] = "int4";
  EXPECT_NE(error_of(j).find("$.model_run.run.dtype"), std::string::npos) << error_of(j);
}

}  // namespace
}  // namespace tb
