#include "history/series.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

namespace tb {

std::vector<Series> build_series(const std::vector<HistoryRun>& runs,
                                 const std::vector<HistoryMeasurement>& measurements) {
  std::unordered_map<std::int64_t, const HistoryRun*> run_of;
  for (const HistoryRun& run : runs) run_of[run.id] = &run;

  // Keyed (backend, device, problem): the map's order is the result's order.
  std::map<std::tuple<std::string, std::string, std::string>, Series> by_key;
  for (const HistoryMeasurement& m : measurements) {
    const auto found = run_of.find(m.run_id);
    if (found == run_of.end() || m.status != "passed") continue;
    const HistoryRun& run = *found->second;
    Series& series = by_key[{run.backend, run.device, m.problem}];
    if (series.points.empty()) series = Series{m.problem, run.backend, run.device, m.kernel, m.dtype, {}};
    series.points.push_back({run.id, run.timestamp_utc, run.git_commit, m.median_s, m.flop_per_s, m.bytes_per_s});
  }

  std::vector<Series> result;
  result.reserve(by_key.size());
  for (auto& [key, series] : by_key) {
    std::stable_sort(series.points.begin(), series.points.end(), [](const SeriesPoint& a, const SeriesPoint& b) {
      return std::tie(a.timestamp_utc, a.run_id) < std::tie(b.timestamp_utc, b.run_id);
    });
    result.push_back(std::move(series));
  }
  return result;
}

}  // namespace tb
