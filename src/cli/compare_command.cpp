// trainbench compare BASE CONTENDER: per problem, medians, relative change
// and a Mann-Whitney U test; exit 1 when any problem regressed (for CI).
#include <filesystem>
#include <iostream>
#include <optional>

#include "analysis/run_comparison.h"
#include "cli/commands.h"
#include "history/history_db.h"
#include "history/measured_run.h"
#include "history/tracking_options.h"
#include "report/result_json.h"

namespace tb::cli {
namespace {

bool is_run_id(const std::string& s) {
  return !s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos;
}

// A result file when `arg` names one, else a run id of the history.
Expected<MeasuredRun> resolve(const std::string& arg, const std::string& db_arg, std::optional<HistoryDb>& db) {
  if (std::filesystem::exists(arg)) {
    Expected<RunRecord> record = read_result_file(arg);
    if (!record) return record.error();
    return measured_run(*record, arg);
  }
  const std::string db_path = db_arg.empty() ? kDefaultHistoryDb : db_arg;
  if (!is_run_id(arg)) {
    return bad_input("'" + arg + "' is neither a result file nor a run id: expected a result JSON file or a run id of " +
                     db_path + " (trainbench history list shows them)");
  }
  if (!db) {
    Expected<HistoryDb> opened = HistoryDb::open(db_path, HistoryDb::Mode::kReadOnly);
    if (!opened) return opened.error();
    db = std::move(*opened);
  }
  const std::int64_t id = std::stoll(arg);
  Expected<HistoryRun> run = db->run(id);
  if (!run) return run.error();
  Expected<std::vector<HistoryMeasurement>> measurements = db->measurements(id);
  if (!measurements) return measurements.error();
  return measured_run(*run, *measurements, "run " + arg);
}

}  // namespace

int compare_command(const CompareArgs& args) {
  ComparisonOptions options;
  const Expected<double> threshold = parse_fraction("--threshold", args.threshold, 0.0, 1.0);
  if (!threshold) return report_error(threshold.error());
  options.threshold = *threshold;
  options.alpha = args.alpha;
  std::optional<HistoryDb> db;
  const Expected<MeasuredRun> base = resolve(args.base, args.db, db);
  if (!base) return report_error(base.error());
  const Expected<MeasuredRun> contender = resolve(args.contender, args.db, db);
  if (!contender) return report_error(contender.error());
  const Expected<RunComparison> c = compare_runs(*base, *contender, options);
  if (!c) return report_error(c.error());

  if (args.format == "json") {
    std::cout << comparison_to_json(*c, *base, *contender, options).dump(2) << "\n";
  } else {
    std::cout << render_comparison_table(*c, *base, *contender, options);
  }
  if (base->device != contender->device || base->backend != contender->backend) {
    report_warning("comparing " + base->backend + " on '" + base->device + "' with " + contender->backend + " on '" +
                   contender->device + "': differences include the machine");
  }
  return c->regressions > 0 ? 1 : 0;
}

}  // namespace tb::cli
