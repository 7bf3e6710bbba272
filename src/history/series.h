// Performance series out of the history: per (problem, backend, device), the
// passed measurements of successive runs, oldest first, for change-point
// detection (`trainbench regressions`) and the report's plots.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "history/history_db.h"

namespace tb {

struct SeriesPoint {
  std::int64_t run_id = 0;
  std::string timestamp_utc;
  std::string git_commit;
  double median_s = 0.0;    // (s)
  double flop_per_s = 0.0;  // (FLOP/s); 0 for problems without FLOP (collectives)
  double bytes_per_s = 0.0; // (B/s)
};

struct Series {
  std::string problem, backend, device;
  std::string kernel, dtype;
  std::vector<SeriesPoint> points;  // oldest first; passed measurements only
};

// Groups runs and their measurements into series, sorted by backend, device,
// then problem. Measurements of runs not in `runs` are ignored.
std::vector<Series> build_series(const std::vector<HistoryRun>& runs,
                                 const std::vector<HistoryMeasurement>& measurements);

}  // namespace tb
