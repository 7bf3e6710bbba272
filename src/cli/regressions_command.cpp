// trainbench regressions: change points per (problem, backend, device)
// series of the history; exit 1 when any series got slower (for CI).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/series_changes.h"
#include "common/plain_table.h"
#include "history/history_db.h"

namespace tb::cli {
namespace {

std::string fixed(double value, int digits) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

std::string percent(double fraction) { return (fraction > 0 ? "+" : "") + fixed(100.0 * fraction, 1); }

// Four significant digits: p-values and times of any magnitude.
std::string sig4(double p) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", p);
  return text;
}

}  // namespace

int regressions_command(const RegressionsArgs& args) {
  std::optional<HistoryDb> db;
  const Expected<TrackedWindow> window = load_tracked_window(args.db, args.since, args.threshold, args.max_p, db);
  if (!window) return report_error(window.error());
  const std::string& db_path = window->db_path;
  const std::string& since = window->since_utc;
  const ChangePointOptions& options = window->options;
  const std::vector<HistoryRun>& runs = window->runs;
  const std::vector<Series>& series = window->series;
  const std::vector<SeriesChanges> scanned = detect_series_changes(series, options);

  int regressions = 0, changes = 0;
  std::vector<std::vector<std::string>> rows = {
      {"problem", "backend", "device", "runs", "commits", "time before", "time after", "time change", "throughput change",
       "p-value", "verdict"},
      {"", "", "", "id before..after", "before..after", "ms", "ms", "%", "%", "", ""}};
  nlohmann::json json_changes = nlohmann::json::array();
  for (const SeriesChanges& sc : scanned) {
    for (const ChangePoint& c : sc.changes) {
      const SeriesPoint& before = sc.series->points[c.index - 1];
      const SeriesPoint& after = sc.series->points[c.index];
      const bool slower = c.relative_change > 0;
      ++changes;
      regressions += slower ? 1 : 0;
      const std::string verdict = slower ? "regression" : "improvement";
      rows.push_back({sc.series->problem, sc.series->backend, sc.series->device,
                      std::to_string(before.run_id) + ".." + std::to_string(after.run_id),
                      before.git_commit + ".." + after.git_commit, sig4(c.mean_before * 1e3),
                      sig4(c.mean_after * 1e3), percent(c.relative_change), percent(throughput_change(c)),
                      sig4(c.p_value), verdict});
      json_changes.push_back({{"problem", sc.series->problem},
                              {"backend", sc.series->backend},
                              {"device", sc.series->device},
                              {"index", c.index},
                              {"run_id_before", before.run_id},
                              {"run_id_after", after.run_id},
                              {"git_commit_before", before.git_commit},
                              {"git_commit_after", after.git_commit},
                              {"timestamp_utc_after", after.timestamp_utc},
                              {"mean_time_before_s", c.mean_before},
                              {"mean_time_after_s", c.mean_after},
                              {"time_change_fraction", c.relative_change},
                              {"throughput_change_fraction", throughput_change(c)},
                              {"p_value", c.p_value},
                              {"verdict", verdict}});
    }
  }
  const std::string span = since.empty() ? "runs" : "runs since " + since;
  if (args.format == "json") {
    std::cout << nlohmann::json{{"database", db_path},
                                {"since_utc", since},
                                {"runs", runs.size()},
                                {"series", series.size()},
                                {"min_change_fraction", options.min_relative_change},
                                {"max_p_value", options.max_p_value},
                                {"changes", json_changes},
                                {"regressions", regressions}}
                     .dump(2)
              << "\n";
  } else {
    if (changes > 0) {
      std::cout << render_rows(rows, {false, false, false, false, false, true, true, true, true, true, false});
    }
    std::cout << changes << " change points (" << regressions << " regressions) in " << series.size()
              << " series over " << runs.size() << " " << span << " (step fit, permutation test p <= "
              << sig4(options.max_p_value) << ", level change >= " << fixed(100 * options.min_relative_change, 1)
              << "%)\n";
  }
  return regressions > 0 ? 1 : 0;
}

}  // namespace tb::cli
