#include "record/run_record.h"

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

ProblemResult new_problem_result(const Problem& problem) {
  ProblemResult r;
  r.problem = problem.to_string();
  r.kernel = std::string(problem.kernel());
  r.dtype = std::string(dtype_name(problem.dtype()));
  r.flop = problem.flop();
  r.min_bytes = problem.min_bytes();
  if (const std::optional<CollectiveInfo> info = problem.collective()) {
    CollectiveResult c;
    c.ranks = info->ranks;
    c.transport = info->transport;
    c.algo = info->algo;
    c.op = info->op;
    c.in_place = info->in_place;
    c.count = info->count;
    c.bus_factor = info->bus_factor;
    r.collective = c;
  }
  return r;
}

void derive_figures(ProblemResult& r, double peak_flop_per_s) {
  r.time_s = summarize(r.samples_s);
  if (!(r.time_s.median > 0.0)) return;
  r.flop_per_s = r.flop / r.time_s.median;
  r.bytes_per_s = r.min_bytes / r.time_s.median;
  if (r.collective) {
    r.collective->algbw_bytes_per_s = r.bytes_per_s;
    r.collective->busbw_bytes_per_s = r.bytes_per_s * r.collective->bus_factor;
  } else if (peak_flop_per_s > 0.0) {
    r.fraction_of_peak = r.flop_per_s / peak_flop_per_s;
  }
}

std::string compute_units_text(const DeviceInfo& device) {
  if (device.compute_units <= 0) return "";
  const char* unit = device.kind == "gpu" ? " SMs" : device.kind == "neuron" ? " NeuronCores" : " threads";
  return std::to_string(device.compute_units) + unit;
}

}  // namespace tb
