// The report page's content from the history (trainbench report,
// docs/nightly.md): each series' throughput with its change points, the
// latest run's roofline, and USD per 1M tokens of the latest cost comparison.
// report/html/ draws it; this file only gathers it.
#pragma once

#include "common/error.h"
#include "history/history_db.h"
#include "history/series_changes.h"
#include "report/html/html_report.h"

namespace tb {

// The page's input for `window`, read from `db` (its costs); generated_utc is now.
Expected<HtmlReportInput> build_report_input(const TrackedWindow& window, HistoryDb& db);

}  // namespace tb
