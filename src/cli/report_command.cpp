// trainbench report: the history as one self-contained HTML page
// (history/report_input.h gathers it, report/html/html_report.h draws it):
// throughput series with change points, the latest run's roofline, and USD
// per 1M tokens of the latest cost comparison.
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "common/atomic_file.h"
#include "history/report_input.h"

namespace tb::cli {

int report_command(const ReportArgs& args) {
  const std::filesystem::path out(args.out);
  if (out.filename().empty()) return report_error(bad_input("-o '" + args.out + "' names a directory: expected a file"));
  if (Status s = check_writable_directory(out.parent_path().empty() ? "." : out.parent_path().string()); !s) {
    return report_error(s.error());
  }

  std::optional<HistoryDb> db;
  const Expected<TrackedWindow> window = load_tracked_window(args.db, args.since, args.threshold, args.max_p, db);
  if (!window) return report_error(window.error());
  const Expected<HtmlReportInput> input = build_report_input(*window, *db);
  if (!input) return report_error(input.error());
  if (Status s = write_file_atomically(args.out, render_html_report(*input)); !s) return report_error(s.error());
  std::cout << "report: " << args.out << " (" << window->runs.size() << " runs, " << window->series.size() << " series)\n";
  return 0;
}

}  // namespace tb::cli
