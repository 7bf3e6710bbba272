// Comparing two runs problem by problem: verdicts, the geometric mean, the
// table and the JSON, on hand-constructed runs.
#include "analysis/run_comparison.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "analysis/mann_whitney.h"

namespace tb {
namespace {

// `count` samples spread evenly over [0.99, 1.01] x median_s.
MeasuredProblem problem(const std::string& name, double median_s, int count, const std::string& status = "passed") {
  MeasuredProblem p;
  p.problem = name;
  p.dtype = "fp32";
  p.status = status;
  for (int i = 0; i < count; ++i) {
    const double spread = count > 1 ? -0.01 + 0.02 * i / (count - 1) : 0.0;
    p.samples_s.push_back(median_s * (1.0 + spread));
  }
  p.median_s = median_s;
  return p;
}

MeasuredRun run(const std::string& label, std::vector<MeasuredProblem> problems) {
  MeasuredRun r;
  r.label = label;
  r.backend = "cpu";
  r.device = "test cpu";
  r.problems = std::move(problems);
  return r;
}

const ComparedProblem& only_row(const RunComparison& c) {
  EXPECT_EQ(c.rows.size(), 1u);
  return c.rows.at(0);
}

TEST(RunComparison, TwentyPercentSlowerIsARegression) {
  const auto c = compare_runs(run("base.json", {problem("gemm:m=1", 1e-3, 10)}),
                              run("new.json", {problem("gemm:m=1", 1.2e-3, 10)}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  const ComparedProblem& r = only_row(*c);
  EXPECT_EQ(r.verdict, Verdict::kRegression);
  EXPECT_NEAR(r.relative_change, 0.2, 1e-12);
  ASSERT_TRUE(r.p_value.has_value());
  EXPECT_LT(*r.p_value, 0.001);
  EXPECT_EQ(c->regressions, 1);
  EXPECT_EQ(c->improvements, 0);
  EXPECT_EQ(c->compared, 1);
}

TEST(RunComparison, OneSampleEachIsTooFewSamples) {
  const auto c = compare_runs(run("a", {problem("p", 1e-3, 1)}), run("b", {problem("p", 1.2e-3, 1)}));
  ASSERT_TRUE(c.ok());
  const ComparedProblem& r = only_row(*c);
  EXPECT_EQ(r.verdict, Verdict::kTooFewSamples);
  EXPECT_FALSE(r.p_value.has_value());
  EXPECT_NEAR(r.relative_change, 0.2, 1e-12);
  EXPECT_EQ(c->regressions, 0);
  EXPECT_EQ(c->compared, 1);
}

TEST(RunComparison, SignificantButBelowThresholdIsNoChange) {
  // Samples of the two runs do not overlap (spread 2%, shift 2.5%): p is tiny, the change is 2.5% < 5%.
  const auto c = compare_runs(run("a", {problem("p", 1e-3, 10)}), run("b", {problem("p", 1.025e-3, 10)}));
  ASSERT_TRUE(c.ok());
  const ComparedProblem& r = only_row(*c);
  ASSERT_TRUE(r.p_value.has_value());
  EXPECT_LT(*r.p_value, 0.05);
  EXPECT_EQ(r.verdict, Verdict::kNoChange);
}

TEST(RunComparison, TwentyPercentFasterIsAnImprovement) {
  const auto c = compare_runs(run("a", {problem("p", 1e-3, 10)}), run("b", {problem("p", 0.8e-3, 10)}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(only_row(*c).verdict, Verdict::kImprovement);
  EXPECT_EQ(c->improvements, 1);
}

TEST(RunComparison, NotSignificantIsNoChange) {
  MeasuredProblem base = problem("p", 1e-3, 4), contender = problem("p", 1.2e-3, 4);
  contender.samples_s = {0.5e-3, 1.2e-3, 1.25e-3, 2.0e-3};  // overlaps the base's samples
  const auto c = compare_runs(run("a", {base}), run("b", {contender}));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(only_row(*c).p_value.has_value());
  EXPECT_GE(*only_row(*c).p_value, 0.05);
  EXPECT_EQ(only_row(*c).verdict, Verdict::kNoChange);
}

TEST(RunComparison, FailedOnOneSideIsNotComparable) {
  const auto c = compare_runs(run("a", {problem("p", 1e-3, 10), problem("q", 2e-3, 10)}),
                              run("b", {problem("p", 0, 0, "failed"), problem("q", 2e-3, 10)}));
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->rows.size(), 2u);
  EXPECT_EQ(c->rows[0].verdict, Verdict::kNotComparable);
  EXPECT_EQ(c->rows[0].contender_status, "failed");
  EXPECT_FALSE(c->rows[0].p_value.has_value());
  EXPECT_EQ(c->compared, 1);
  const std::string table = render_comparison_table(*c, run("a", {}), run("b", {}), {});
  EXPECT_NE(table.find("not comparable: contender failed"), std::string::npos) << table;
}

TEST(RunComparison, NoCommonProblemNamesBothLabels) {
  const auto c = compare_runs(run("base.json", {problem("p1", 1, 3), problem("p2", 1, 3), problem("p3", 1, 3),
                                                problem("p4", 1, 3)}),
                              run("run 12", {problem("q1", 1, 3)}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kBadInput);
  const std::string& m = c.error().message;
  for (const char* word : {"base.json", "run 12", "p1", "p2", "p3", "q1"}) {
    EXPECT_NE(m.find(word), std::string::npos) << word << " missing from: " << m;
  }
  EXPECT_EQ(m.find("p4"), std::string::npos) << m;
}

TEST(RunComparison, OptionsOutOfRangeAreBadInput) {
  const MeasuredRun a = run("a", {problem("p", 1e-3, 3)});
  for (const ComparisonOptions o : {ComparisonOptions{1.0, 0.05}, ComparisonOptions{-0.1, 0.05},
                                    ComparisonOptions{0.05, 0.0}, ComparisonOptions{0.05, 1.0}}) {
    const auto c = compare_runs(a, a, o);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, ErrorCode::kBadInput);
  }
}

TEST(RunComparison, GeometricMeanAndOneSidedProblems) {
  // Ratios 1.2 and 0.8 over the compared rows: sqrt(1.2 * 0.8) = sqrt(0.96) = 0.979796.
  const MeasuredRun base = run("a", {problem("x", 1e-3, 5), problem("gone", 1e-3, 5), problem("y", 2e-3, 5)});
  const MeasuredRun contender = run("b", {problem("new", 1e-3, 5), problem("y", 1.6e-3, 5), problem("x", 1.2e-3, 5)});
  const auto c = compare_runs(base, contender);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->rows.size(), 2u);
  EXPECT_EQ(c->rows[0].problem, "x");  // the base's order
  EXPECT_EQ(c->rows[1].problem, "y");
  EXPECT_NEAR(c->geomean_time_ratio, std::sqrt(0.96), 1e-12);
  EXPECT_EQ(c->only_in_base, std::vector<std::string>{"gone"});
  EXPECT_EQ(c->only_in_contender, std::vector<std::string>{"new"});
}

TEST(RunComparison, TableHasUnitsRowAndSummary) {
  const MeasuredRun base = run("a.json", {problem("x", 1e-3, 10), problem("gone", 1e-3, 5), problem("y", 2e-3, 10)});
  const MeasuredRun contender = run("b.json", {problem("y", 1.6e-3, 10), problem("x", 1.2e-3, 10)});
  const auto c = compare_runs(base, contender);
  ASSERT_TRUE(c.ok());
  const std::string t = render_comparison_table(*c, base, contender, {});
  const std::string expected_head =
      "base: a.json (backend cpu, device test cpu, commit , )\n"
      "contender: b.json (backend cpu, device test cpu, commit , )\n"
      "problem  base median  contender median  change  p-value  verdict\n"
      "                  ms                ms       %\n";
  EXPECT_EQ(t.substr(0, expected_head.size()), expected_head) << t;
  EXPECT_NE(t.find("x                  1               1.2   +20.0   0.0002  regression\n"), std::string::npos) << t;
  EXPECT_NE(t.find("geometric mean of time ratios (contender/base): 0.980 (-2.0%) over 2 problems\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("regressions: 1, improvements: 1 (threshold 5%, alpha 0.05, two-sided Mann-Whitney U)\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("only in a.json: gone\n"), std::string::npos) << t;
}

TEST(RunComparison, SubMillisecondTablesAreInMicroseconds) {
  const MeasuredRun base = run("a.json", {problem("x", 2.5e-6, 10)});
  const MeasuredRun contender = run("b.json", {problem("x", 2.5e-6, 10)});
  const auto c = compare_runs(base, contender);
  ASSERT_TRUE(c.ok());
  const std::string t = render_comparison_table(*c, base, contender, {});
  EXPECT_NE(t.find("                  us                us       %\n"), std::string::npos) << t;
  EXPECT_NE(t.find("x                2.5               2.5"), std::string::npos) << t;
}

TEST(RunComparison, JsonCarriesUnitsAndExactNumbers) {
  const MeasuredRun base = run("a", {problem("x", 1e-3, 10), problem("f", 1e-3, 10)});
  const MeasuredRun contender = run("b", {problem("x", 1.2e-3, 10), problem("f", 0, 0, "error")});
  const auto c = compare_runs(base, contender);
  ASSERT_TRUE(c.ok());
  const nlohmann::json j = comparison_to_json(*c, base, contender, {});
  const nlohmann::json& x = j.at("problems").at(0);
  EXPECT_EQ(x.at("base_median_s").get<double>(), 1e-3);
  EXPECT_EQ(x.at("contender_median_s").get<double>(), 1.2e-3);
  EXPECT_EQ(x.at("relative_change_fraction").get<double>(), c->rows[0].relative_change);
  const auto u = mann_whitney_u(base.problems[0].samples_s, contender.problems[0].samples_s);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(x.at("p_value").get<double>(), u->p_value);
  EXPECT_EQ(x.at("verdict"), "regression");
  const nlohmann::json& f = j.at("problems").at(1);
  EXPECT_TRUE(f.at("contender_median_s").is_null());
  EXPECT_TRUE(f.at("p_value").is_null());
  EXPECT_EQ(f.at("verdict"), "not comparable");
  EXPECT_EQ(j.at("threshold_fraction").get<double>(), 0.05);
  EXPECT_EQ(j.at("alpha").get<double>(), 0.05);
  EXPECT_EQ(j.at("geomean_time_ratio").get<double>(), c->geomean_time_ratio);
  EXPECT_EQ(j.at("regressions"), 1);
  EXPECT_EQ(j.at("base").at("label"), "a");
  EXPECT_EQ(nlohmann::json::parse(j.dump()), j);  // numbers survive a round trip unchanged
}

}  // namespace
}  // namespace tb
