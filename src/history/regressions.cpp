#include "history/regressions.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "common/format.h"
#include "common/plain_table.h"

namespace tb {
namespace {

std::string format_significant4(double v) { return format_significant(v, 4); }

std::string percent(double fraction) { return (fraction > 0 ? "+" : "") + format_fixed(100.0 * fraction, 1); }

}  // namespace

Regressions find_regressions(const TrackedWindow& window, bool json) {
  const std::string& db_path = window.db_path;
  const std::string& since = window.since_utc;
  const ChangePointOptions& options = window.options;
  const std::vector<HistoryRun>& runs = window.runs;
  const std::vector<Series>& series = window.series;
  const std::vector<SeriesChanges> scanned = detect_series_changes(series, options);
  Regressions out;
  int& regressions = out.regressions;
  int& changes = out.changes;
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
                      before.git_commit + ".." + after.git_commit, format_significant4(c.mean_before * 1e3),
                      format_significant4(c.mean_after * 1e3), percent(c.relative_change), percent(throughput_change(c)),
                      format_significant4(c.p_value), verdict});
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
  if (json) {
    out.text = nlohmann::json{{"database", db_path},
                                {"since_utc", since},
                                {"runs", runs.size()},
                                {"series", series.size()},
                                {"min_change_fraction", options.min_relative_change},
                                {"max_p_value", options.max_p_value},
                                {"changes", json_changes},
                                {"regressions", regressions}}
                     .dump(2) +
               "\n";
  } else {
    if (changes > 0) {
      out.text += render_rows(rows, {false, false, false, false, false, true, true, true, true, true, false});
    }
    out.text += std::to_string(changes) + " change points (" + std::to_string(regressions) + " regressions) in " +
                std::to_string(series.size()) + " series over " + std::to_string(runs.size()) + " " + span +
                " (step fit, permutation test p <= " + format_significant4(options.max_p_value) +
                ", level change >= " + format_fixed(100 * options.min_relative_change, 1) + "%)\n";
  }
  return out;
}

}  // namespace tb
