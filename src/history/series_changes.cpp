#include "history/series_changes.h"

#include <chrono>
#include <cstdio>

#include "history/tracking_options.h"

namespace tb {

std::vector<SeriesChanges> detect_series_changes(const std::vector<Series>& series, const ChangePointOptions& options) {
  std::vector<SeriesChanges> out;
  out.reserve(series.size());
  std::vector<double> times;
  for (const Series& s : series) {
    times.clear();
    for (const SeriesPoint& p : s.points) times.push_back(p.median_s);
    out.push_back({&s, detect_change_points(times, options)});
  }
  return out;
}

Expected<TrackedWindow> load_tracked_window(const std::string& db, const std::string& since,
                                            const std::string& threshold, double max_p, std::optional<HistoryDb>& db_out) {
  TrackedWindow w;
  w.db_path = db.empty() ? kDefaultHistoryDb : db;
  TB_ASSIGN_OR_RETURN(w.since_utc, parse_since(since, std::chrono::system_clock::now()));
  TB_ASSIGN_OR_RETURN(w.options.min_relative_change, parse_fraction("--threshold", threshold, 0.0, 1.0));
  if (!(max_p > 0.0 && max_p < 1.0)) {
    char value[32];
    std::snprintf(value, sizeof value, "%g", max_p);
    return bad_input("--max-p " + std::string(value) + " is out of range: expected a p-value in (0, 1)");
  }
  w.options.max_p_value = max_p;
  Expected<HistoryDb> opened = HistoryDb::open(w.db_path, HistoryDb::Mode::kReadOnly);
  if (!opened) return opened.error();
  db_out = std::move(*opened);
  TB_ASSIGN_OR_RETURN(w.runs, db_out->runs(w.since_utc));
  TB_ASSIGN_OR_RETURN(w.measurements, db_out->measurements_since(w.since_utc));
  w.series = build_series(w.runs, w.measurements);
  return w;
}

double throughput_change(const ChangePoint& change) { return change.mean_before / change.mean_after - 1.0; }

}  // namespace tb
