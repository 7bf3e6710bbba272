#include "support/sample_record.h"

#include <utility>

#include "analysis/statistics.h"

namespace tbtest {

std::string cpu_reproducer(const std::string& problem, const std::string& options) {
  return "trainbench run --backend cpu --problem '" + problem + "'" + options;
}

tb::ProblemResult problem_result(const std::string& problem, tb::ResultStatus status,
                                 const std::string& reproducer_options) {
  tb::ProblemResult r;
  r.problem = problem;
  r.kernel = problem.substr(0, problem.find(':'));
  const std::size_t dtype = problem.find("dtype=");
  if (dtype != std::string::npos) r.dtype = problem.substr(dtype + 6, problem.find(',', dtype) - (dtype + 6));
  r.status = status;
  r.reproducer = cpu_reproducer(problem, reproducer_options);
  return r;
}

tb::ProblemResult skipped_fp16_result(const std::string& reproducer_options) {
  tb::ProblemResult r = problem_result(kSkippedFp16, tb::ResultStatus::kSkipped, reproducer_options);
  r.reason = "oneDNN has no fp16 matmul for this CPU";
  r.flop = 1024;
  r.min_bytes = 384;
  return r;
}

std::string allreduce_problem(std::int64_t bytes, int ranks, bool in_place) {
  std::string size = std::to_string(bytes);
  for (const auto& [suffix, unit] : {std::pair{"G", std::int64_t{1} << 30}, std::pair{"M", std::int64_t{1} << 20},
                                     std::pair{"K", std::int64_t{1} << 10}}) {
    if (bytes >= unit && bytes % unit == 0) {
      size = std::to_string(bytes / unit) + suffix;
      break;
    }
  }
  return "allreduce:bytes=" + size + ",dtype=fp32,op=sum,ranks=" + std::to_string(ranks) +
         ",inplace=" + (in_place ? "1" : "0") + ",algo=ring,transport=threads";
}

tb::ProblemResult allreduce_result(std::int64_t bytes, int ranks, bool in_place, tb::ResultStatus status,
                                   double median_s, std::int64_t wrong) {
  tb::ProblemResult r = problem_result(allreduce_problem(bytes, ranks, in_place), status, " --comm-timeout 60");
  const std::int64_t count = bytes / 4;
  r.flop = static_cast<double>((ranks - 1) * count);
  r.min_bytes = static_cast<double>(bytes);
  if (status == tb::ResultStatus::kSkipped) {
    r.reason = "the backend does not support this all-reduce";
    return r;
  }
  r.implementation = "trainbench ring over threads";
  const std::int64_t checked = count * ranks;
  r.verification = {wrong == 0, "allreduce_exact", wrong == 0 ? 0.0 : 1.0, 0.0, checked, checked, 0,
                    wrong == 0 ? "" : "worst recv.r0[0]=2, expected 1", wrong};
  tb::CollectiveResult c;
  c.ranks = ranks;
  c.transport = "threads";
  c.algo = "ring";
  c.op = "sum";
  c.in_place = in_place;
  c.count = count;
  c.bus_factor = 2.0 * (ranks - 1) / ranks;
  c.wrong_elements = wrong;
  if (status == tb::ResultStatus::kFailed) {
    r.reason = "verification failed: " + std::to_string(wrong) + " wrong elements";
  } else if (status == tb::ResultStatus::kError) {
    r.reason = "all-reduce exchange made no progress for 60 s";
  } else if (status == tb::ResultStatus::kPassed) {
    r.samples_s = {0.9 * median_s, median_s, 1.2 * median_s};
    r.time_s = tb::summarize(r.samples_s);
    r.iterations_per_sample = 100;
    r.flop_per_s = r.flop / median_s;
    r.bytes_per_s = r.min_bytes / median_s;
    c.algbw_bytes_per_s = r.bytes_per_s;
    c.busbw_bytes_per_s = r.bytes_per_s * c.bus_factor;
  }
  r.collective = c;
  return r;
}

}  // namespace tbtest
