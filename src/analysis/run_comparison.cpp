#include "analysis/run_comparison.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "analysis/mann_whitney.h"
#include "common/plain_table.h"

namespace tb {
namespace {

constexpr std::size_t kProblemsNamed = 3;  // problems of each run named when they have none in common

bool passed(const MeasuredProblem& p) { return p.status == "passed"; }

std::string first_problems(const MeasuredRun& run) {
  std::string out;
  for (std::size_t i = 0; i < run.problems.size() && i < kProblemsNamed; ++i) {
    out += (i == 0 ? "" : ", ") + run.problems[i].problem;
  }
  if (run.problems.size() > kProblemsNamed) out += ", ...";
  return out.empty() ? "no problems" : out;
}

Status check_options(const ComparisonOptions& o) {
  if (!(o.threshold >= 0.0 && o.threshold < 1.0)) {
    return bad_input("comparison threshold " + std::to_string(o.threshold) + " is out of range; expected [0, 1)");
  }
  if (!(o.alpha > 0.0 && o.alpha < 1.0)) {
    return bad_input("comparison alpha " + std::to_string(o.alpha) + " is out of range; expected (0, 1)");
  }
  return {};
}

Status check_median(const MeasuredRun& run, const MeasuredProblem& p) {
  if (std::isfinite(p.median_s) && p.median_s > 0.0) return {};
  return bad_input(run.label + ": " + p.problem + " passed with median time " + std::to_string(p.median_s) +
                   " s; expected a positive number");
}

Verdict verdict_of(double relative_change, double p_value, const ComparisonOptions& o) {
  if (p_value >= o.alpha) return Verdict::kNoChange;
  if (relative_change > o.threshold) return Verdict::kRegression;
  if (relative_change < -o.threshold) return Verdict::kImprovement;
  return Verdict::kNoChange;
}

// Fills the comparison of two passed records: change, test, verdict.
Status compare_passed(const MeasuredRun& base_run, const MeasuredProblem& base, const MeasuredRun& contender_run,
                      const MeasuredProblem& contender, const ComparisonOptions& o, ComparedProblem& row) {
  TB_RETURN_IF_ERROR(check_median(base_run, base));
  TB_RETURN_IF_ERROR(check_median(contender_run, contender));
  row.relative_change = (row.contender_median_s - row.base_median_s) / row.base_median_s;
  if (base.samples_s.size() < 2 || contender.samples_s.size() < 2) {
    row.verdict = Verdict::kTooFewSamples;
    return {};
  }
  Expected<MannWhitneyResult> test = mann_whitney_u(base.samples_s, contender.samples_s);
  if (!test) return bad_input(base.problem + ": " + test.error().message);
  row.p_value = test->p_value;
  row.verdict = verdict_of(row.relative_change, test->p_value, o);
  return {};
}

std::string format(const char* spec, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

std::string p_value_cell(const std::optional<double>& p) {
  if (!p) return "-";
  return *p < 1e-4 ? "<0.0001" : format("%.4f", *p);
}

std::string verdict_cell(const ComparedProblem& r) {
  std::string out(verdict_name(r.verdict));
  if (r.verdict != Verdict::kNotComparable) return out;
  if (r.base_status != "passed") out += ": base " + r.base_status;
  if (r.contender_status != "passed") out += std::string(r.base_status != "passed" ? "," : ":") + " contender " + r.contender_status;
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

nlohmann::json run_json(const MeasuredRun& r) {
  return {{"label", r.label},   {"backend", r.backend},       {"device", r.device},
          {"host", r.host},     {"git_commit", r.git_commit}, {"timestamp_utc", r.timestamp_utc}};
}

}  // namespace

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kRegression: return "regression";
    case Verdict::kImprovement: return "improvement";
    case Verdict::kNoChange: return "no change";
    case Verdict::kTooFewSamples: return "too few samples";
    case Verdict::kNotComparable: return "not comparable";
  }
  return "unknown";
}

Expected<RunComparison> compare_runs(const MeasuredRun& base, const MeasuredRun& contender,
                                     const ComparisonOptions& options) {
  TB_RETURN_IF_ERROR(check_options(options));
  std::unordered_map<std::string, const MeasuredProblem*> in_contender, in_base;
  for (const MeasuredProblem& p : contender.problems) in_contender.emplace(p.problem, &p);
  for (const MeasuredProblem& p : base.problems) in_base.emplace(p.problem, &p);

  RunComparison out;
  double log_ratio_sum = 0.0;
  for (const MeasuredProblem& b : base.problems) {
    const auto found = in_contender.find(b.problem);
    if (found == in_contender.end()) {
      out.only_in_base.push_back(b.problem);
      continue;
    }
    const MeasuredProblem& c = *found->second;
    ComparedProblem row;
    row.problem = b.problem;
    row.base_status = b.status;
    row.contender_status = c.status;
    row.base_median_s = b.median_s;
    row.contender_median_s = c.median_s;
    if (passed(b) && passed(c)) {
      TB_RETURN_IF_ERROR(compare_passed(base, b, contender, c, options, row));
      ++out.compared;
      log_ratio_sum += std::log(row.contender_median_s / row.base_median_s);
      out.regressions += row.verdict == Verdict::kRegression;
      out.improvements += row.verdict == Verdict::kImprovement;
    } else {
      row.verdict = Verdict::kNotComparable;
    }
    out.rows.push_back(std::move(row));
  }
  for (const MeasuredProblem& c : contender.problems) {
    if (!in_base.contains(c.problem)) out.only_in_contender.push_back(c.problem);
  }
  if (out.rows.empty()) {
    return bad_input("runs " + base.label + " and " + contender.label + " have no problem in common (" + base.label +
                     ": " + first_problems(base) + "; " + contender.label + ": " + first_problems(contender) + ")");
  }
  if (out.compared > 0) out.geomean_time_ratio = std::exp(log_ratio_sum / out.compared);
  return out;
}

// "base: LABEL (backend cpu, device D, commit C, T)".
static std::string run_line(const std::string& role, const MeasuredRun& r) {
  return role + ": " + r.label + " (backend " + r.backend + ", device " + r.device + ", commit " + r.git_commit + ", " +
         r.timestamp_utc + ")\n";
}

std::string render_comparison_table(const RunComparison& c, const MeasuredRun& base, const MeasuredRun& contender,
                                    const ComparisonOptions& options) {
  // One time unit for the table: microseconds when every median is below a millisecond.
  double largest_s = 0.0;
  for (const ComparedProblem& r : c.rows) largest_s = std::max({largest_s, r.base_median_s, r.contender_median_s});
  const bool micro = largest_s < 1e-3;
  const double scale = micro ? 1e6 : 1e3;
  std::vector<std::vector<std::string>> rows = {
      {"problem", "base median", "contender median", "change", "p-value", "verdict"},
      {"", micro ? "us" : "ms", micro ? "us" : "ms", "%", "", ""}};
  for (const ComparedProblem& r : c.rows) {
    const bool compared = r.verdict != Verdict::kNotComparable;
    rows.push_back({r.problem, r.base_status == "passed" ? format("%.4g", r.base_median_s * scale) : "-",
                    r.contender_status == "passed" ? format("%.4g", r.contender_median_s * scale) : "-",
                    compared ? format("%+.1f", r.relative_change * 100.0) : "-",
                    p_value_cell(r.p_value), verdict_cell(r)});
  }
  std::string out = run_line("base", base) + run_line("contender", contender);
  out += render_rows(rows, {false, true, true, true, true, false});  out += "geometric mean of time ratios (contender/base): " + format("%.3f", c.geomean_time_ratio) + " (" +
         format("%+.1f", (c.geomean_time_ratio - 1.0) * 100.0) + "%) over " + std::to_string(c.compared) +
         " problems\n";
  out += "regressions: " + std::to_string(c.regressions) + ", improvements: " + std::to_string(c.improvements) +
         " (threshold " + format("%g", options.threshold * 100.0) + "%, alpha " + format("%g", options.alpha) +
         ", two-sided Mann-Whitney U)\n";
  if (!c.only_in_base.empty()) out += "only in " + base.label + ": " + join(c.only_in_base) + "\n";
  if (!c.only_in_contender.empty()) out += "only in " + contender.label + ": " + join(c.only_in_contender) + "\n";
  return out;
}

nlohmann::json comparison_to_json(const RunComparison& c, const MeasuredRun& base, const MeasuredRun& contender,
                                  const ComparisonOptions& options) {
  nlohmann::json problems = nlohmann::json::array();
  for (const ComparedProblem& r : c.rows) {
    const bool compared = r.verdict != Verdict::kNotComparable;
    nlohmann::json row = {{"problem", r.problem},
                          {"base_status", r.base_status},
                          {"contender_status", r.contender_status},
                          {"base_median_s", nullptr},
                          {"contender_median_s", nullptr},
                          {"relative_change_fraction", nullptr},
                          {"p_value", nullptr},
                          {"verdict", verdict_name(r.verdict)}};
    if (r.base_status == "passed") row["base_median_s"] = r.base_median_s;
    if (r.contender_status == "passed") row["contender_median_s"] = r.contender_median_s;
    if (compared) row["relative_change_fraction"] = r.relative_change;
    if (r.p_value) row["p_value"] = *r.p_value;
    problems.push_back(std::move(row));
  }
  return {{"base", run_json(base)},
          {"contender", run_json(contender)},
          {"test", "two-sided Mann-Whitney U"},
          {"threshold_fraction", options.threshold},
          {"alpha", options.alpha},
          {"problems", std::move(problems)},
          {"only_in_base", c.only_in_base},
          {"only_in_contender", c.only_in_contender},
          {"compared_problems", c.compared},
          {"geomean_time_ratio", c.geomean_time_ratio},
          {"regressions", c.regressions},
          {"improvements", c.improvements}};
}

}  // namespace tb
