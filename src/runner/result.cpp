#include "runner/result.h"

#include "common/echo.h"

namespace tb {

std::string_view status_name(ResultStatus s) {
  switch (s) {
    case ResultStatus::kPassed: return "passed";
    case ResultStatus::kFailed: return "failed";
    case ResultStatus::kSkipped: return "skipped";
    case ResultStatus::kError: return "error";
  }
  return "error";
}

Expected<ResultStatus> parse_status(std::string_view name) {
  for (ResultStatus s : {ResultStatus::kPassed, ResultStatus::kFailed, ResultStatus::kSkipped, ResultStatus::kError}) {
    if (status_name(s) == name) return s;
  }
  return bad_input("unknown result status '" + echo_value(name) + "': expected passed, failed, skipped or error");
}

}  // namespace tb
