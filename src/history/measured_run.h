// The compare command's view of a run (analysis/run_comparison.h) from a
// result file's RunRecord or from the history.
#pragma once

#include <string>
#include <vector>

#include "analysis/run_comparison.h"
#include "history/history_db.h"
#include "record/run_record.h"

namespace tb {

// One MeasuredProblem per result, in run order: status as status_name(),
// samples, median and flop as recorded (an all-reduce keeps its reductions).
MeasuredRun measured_run(const RunRecord& record, std::string label);
// `measurements`: those of `run` (HistoryDb::measurements(run.id)), in recorded order.
MeasuredRun measured_run(const HistoryRun& run, const std::vector<HistoryMeasurement>& measurements, std::string label);

}  // namespace tb
