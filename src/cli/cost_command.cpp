#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "report/cost_report.h"
#include "report/model_report.h"
#include "report/result_json.h"
#include "runner/model_run.h"

namespace tb::cli {
namespace {

// The file's items must be the decomposition this trainbench makes of the
// same model and settings: otherwise its times belong to other problems.
Status check_items(const ModelRunRecord& m, const StepDecomposition& step, const std::string& path) {
  const bool same = m.items.size() == step.items.size() &&
                    std::equal(m.items.begin(), m.items.end(), step.items.begin(), [](const StepItemResult& a, const StepItem& b) {
                      return a.item.problem == b.problem && a.item.phase == b.phase && a.item.count == b.count;
                    });
  if (same) return {};
  return bad_input("results file '" + path + "': its step items differ from this trainbench's decomposition of " +
                   m.model.name + " (written by another version?): rerun trainbench run --model " + m.model.name);
}

}  // namespace

int cost_command(const CostArgs& args) {
  Expected<RunRecord> record = read_result_file(args.results);
  if (!record) return report_error(record.error());
  if (!record->model_run) {
    return report_error(bad_input("results file '" + args.results +
                                  "' has no model run: write one with trainbench run --model NAME"));
  }
  const ModelRunRecord& m = *record->model_run;
  Expected<StepDecomposition> step = decompose(m.model, m.run);
  if (!step) return report_error(bad_input("results file '" + args.results + "': " + step.error().message));
  if (Status s = check_items(m, *step, args.results); !s) return report_error(s.error());
  const Expected<std::vector<double>> seconds = item_seconds(m.items);
  if (!seconds) return report_error(seconds.error());

  ModelRequest options = args.model;
  if (options.dp_overlap.empty()) options.dp_overlap = m.step_options.overlap_dp_with_backward ? "on" : "off";
  Expected<ComparisonSetup> setup = prepare_comparison(options, m.run.dtype);
  if (!setup) return report_error(setup.error());
  Expected<Comparison> comparison = compare_with_instances(*step, *seconds, record->context.device, *setup);
  if (!comparison) return report_error(comparison.error());

  for (const std::string& w : setup->warnings) report_warning(w);
  if (args.format == "csv") {
    std::cout << render_cost_csv(comparison->rows, setup->train_tokens);
  } else if (args.format == "json") {
    std::cout << cost_rows_to_json(comparison->rows, setup->train_tokens).dump(2) << "\n";
  } else {
    std::cout << m.model.name << ", " << m.tokens << " tokens per step, " << dtype_name(m.run.dtype)
              << "; measured on " << record->context.device.name << " (" << record->context.timestamp_utc << ", "
              << args.results << "); " << pricing_name(setup->pricing) << " prices\n";
    std::cout << render_cost_table(comparison->rows, setup->train_tokens);
    for (const std::string& s : comparison->skipped) std::cout << "not projected: " << s << "\n";
    if (!comparison->check.empty()) {
      std::cout << "\nProjection check: this machine projected with the same model, against what was measured\n"
                << render_check_table(*comparison);
    }
  }
  return 0;
}

}  // namespace tb::cli
