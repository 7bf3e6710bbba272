#include "support/sample_record.h"

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

}  // namespace tbtest
