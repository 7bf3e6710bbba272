// Option values shared by the nightly-tracking commands (history, compare,
// regressions, report; docs/nightly.md): the default database, --since
// windows and percentage thresholds.
#pragma once

#include <chrono>
#include <string>

#include "common/error.h"

namespace tb {

inline constexpr const char* kDefaultHistoryDb = "results/history.db";

// --since: "30d", "12h", "2w" (days, hours, weeks before `now`), an ISO date
// "2026-11-01" or a UTC time "2026-11-01T06:00:00Z"; "" or "all" = no limit.
// Returns the earliest UTC time kept as "YYYY-MM-DDTHH:MM:SSZ" ("" = all).
Expected<std::string> parse_since(const std::string& text, std::chrono::system_clock::time_point now);

// "5%" or "0.05" -> 0.05. Bad input naming `option` unless in [min, max).
Expected<double> parse_fraction(const std::string& option, const std::string& text, double min, double max);

}  // namespace tb
