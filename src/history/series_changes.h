// Change points of every history series (regressions and report share it):
// detected on the median time of each run, so + is slower.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/change_points.h"
#include "common/error.h"
#include "history/history_db.h"
#include "history/series.h"

namespace tb {

struct SeriesChanges {
  const Series* series = nullptr;     // points into the caller's vector
  std::vector<ChangePoint> changes;   // on median_s: relative_change > 0 is slower
};

// Every series, in order, with its change points (possibly none).
std::vector<SeriesChanges> detect_series_changes(const std::vector<Series>& series, const ChangePointOptions& options);

// What `regressions` and `report` read: the runs of a window of the history,
// their measurements grouped into series, and the change-point options.
struct TrackedWindow {
  std::string db_path;
  std::string since_utc;  // "" = every run
  ChangePointOptions options;
  std::vector<HistoryRun> runs;  // oldest first
  std::vector<HistoryMeasurement> measurements;
  std::vector<Series> series;
};

// Checks --since, --threshold and --max-p (bad input naming the option), then
// reads the window from `db` (empty = results/history.db), opened read-only.
// `db_out` keeps the database open for further queries (costs).
Expected<TrackedWindow> load_tracked_window(const std::string& db, const std::string& since,
                                            const std::string& threshold, double max_p, std::optional<HistoryDb>& db_out);

// The throughput change of a change in time: mean_before / mean_after - 1 (fraction; + is faster).
double throughput_change(const ChangePoint& change);

}  // namespace tb
