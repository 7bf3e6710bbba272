#include "history/measured_run.h"

#include <utility>

namespace tb {

MeasuredRun measured_run(const RunRecord& record, std::string label) {
  const RunContext& c = record.context;
  MeasuredRun run{std::move(label), c.backend, c.device.name, c.host_name, c.git_commit, c.timestamp_utc, {}};
  run.problems.reserve(record.results.size());
  for (const ProblemResult& r : record.results) {
    run.problems.push_back({r.problem, r.dtype, std::string(status_name(r.status)), r.samples_s, r.time_s.median,
                            r.flop});
  }
  return run;
}

MeasuredRun measured_run(const HistoryRun& history_run, const std::vector<HistoryMeasurement>& measurements,
                         std::string label) {
  MeasuredRun run{std::move(label),     history_run.backend,       history_run.device, history_run.host,
                  history_run.git_commit, history_run.timestamp_utc, {}};
  run.problems.reserve(measurements.size());
  for (const HistoryMeasurement& m : measurements) {
    run.problems.push_back({m.problem, m.dtype, m.status, m.samples_s, m.median_s, m.flop});
  }
  return run;
}

}  // namespace tb
