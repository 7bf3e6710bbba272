// The error a projected figure carries: the leave-one-out mean absolute
// error of tokens/s per device over the published runs of its device class
// (cost/calibration.h computes it; docs/cost.md, "Published runs and the
// stated error"), or why there is none.
#pragma once

#include <optional>
#include <string>

namespace tb {

struct StatedError {
  std::string device_class;
  std::optional<double> mean_abs_error;  // fraction; none when no published run judges the class
  int runs = 0;
  std::string reason;                    // when none: "unvalidated: no published run for Trainium2"
  // "+/-12% (leave-one-out mean absolute error over 9 published runs on H100-SXM)", or the reason.
  std::string text() const;
  // "+/-12% (9)", "unvalidated", or "-" when there is nothing to state (a measured figure).
  std::string cell() const;
};

}  // namespace tb
