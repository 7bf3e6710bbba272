// The outcome of checking a backend's outputs against the reference kernel.
// Each kernel documents its error metric and per-dtype tolerance in
// docs/verification.md; this record carries which were used.
#pragma once

#include <cstdint>
#include <string>

namespace tb {

struct Verification {
  bool passed = false;
  std::string metric;         // name of the error metric, e.g. "gemm_normalized_abs"
  double max_error = 0.0;     // largest error over checked elements, in the metric's units (dimensionless)
  double tolerance = 0.0;     // pass when max_error <= tolerance and every checked value is finite
  std::int64_t checked = 0;   // elements compared
  std::int64_t total = 0;     // elements in the outputs
  std::int64_t nonfinite = 0;  // checked elements that were NaN or infinite (e.g. never written)
  std::string detail;         // the worst element, "c[i,j]=x, reference y", or why it failed
  std::int64_t wrong = 0;     // checked elements that differ from the exact result (exact metrics only; else 0)
};

}  // namespace tb
