// trainbench regressions (docs/nightly.md): the change points of every
// (problem, backend, device) series of a tracked window, as a table with a
// units row or as one JSON document; + is slower.
#pragma once

#include <string>

#include "history/series_changes.h"

namespace tb {

struct Regressions {
  int changes = 0;      // change points found
  int regressions = 0;  // of which the series got slower
  std::string text;     // the table (when there are changes) and a summary line, or the JSON document
};

// The change points of `window`; `json` chooses the JSON document over the table.
Regressions find_regressions(const TrackedWindow& window, bool json);

}  // namespace tb
