// trainbench regressions: change points per (problem, backend, device)
// series of the history (history/regressions.h); exit 1 when any series got
// slower (for CI).
#include <iostream>

#include "cli/commands.h"
#include "history/regressions.h"

namespace tb::cli {

int regressions_command(const RegressionsArgs& args) {
  std::optional<HistoryDb> db;
  const Expected<TrackedWindow> window = load_tracked_window(args.db, args.since, args.threshold, args.max_p, db);
  if (!window) return report_error(window.error());
  const Regressions found = find_regressions(*window, args.format == "json");
  std::cout << found.text;
  return found.regressions > 0 ? 1 : 0;
}

}  // namespace tb::cli
