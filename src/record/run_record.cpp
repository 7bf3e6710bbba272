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

Expected<double> seconds_per_time_unit(std::string_view time_unit) {
  if (time_unit == "ns") return 1e-9;
  if (time_unit == "us") return 1e-6;
  if (time_unit == "ms") return 1e-3;
  if (time_unit == "s") return 1.0;
  return bad_input("time unit '" + echo_value(time_unit) + "' is not one of Google Benchmark's: expected ns, us, ms or s");
}

std::optional<BenchmarkEntry> median_entry(const ProblemResult& r) {
  if (r.status != ResultStatus::kPassed) return std::nullopt;
  BenchmarkEntry median;
  median.run_type = "aggregate";
  median.aggregate_name = "median";
  median.aggregate_unit = "time";
  median.time_unit = "ns";
  for (const BenchmarkEntry& e : r.entries) {
    if (e.run_type == "aggregate" && e.aggregate_name == "median") return e;
  }
  std::vector<double> real_s, cpu_s;  // the repetitions' times (s)
  for (const BenchmarkEntry& e : r.entries) {
    const Expected<double> unit_s = seconds_per_time_unit(e.time_unit);
    if (e.run_type != "iteration" || !unit_s) continue;
    real_s.push_back(e.real_time * *unit_s);
    cpu_s.push_back(e.cpu_time * *unit_s);
  }
  if (real_s.empty()) real_s = r.samples_s;  // a projection, or an external tool's samples: no CPU time
  if (real_s.empty()) return std::nullopt;
  median.repetitions = static_cast<int>(real_s.size());
  median.iterations = static_cast<std::int64_t>(real_s.size());  // as GB's aggregates: the repetitions summarized
  median.real_time = summarize(real_s).median * 1e9;
  median.cpu_time = cpu_s.empty() ? 0.0 : summarize(cpu_s).median * 1e9;
  return median;
}

std::string compute_units_text(const DeviceInfo& device) {
  if (device.compute_units <= 0) return "";
  const char* unit = device.kind == "gpu" ? " SMs" : device.kind == "neuron" ? " NeuronCores" : " threads";
  return std::to_string(device.compute_units) + unit;
}

}  // namespace tb
