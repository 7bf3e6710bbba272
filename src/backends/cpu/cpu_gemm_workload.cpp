#include "backends/cpu/cpu_gemm.h"
#include "backends/host_timer.h"

namespace tb {

CpuGemmWorkload::CpuGemmWorkload(const GemmProblem& problem, const std::vector<HostTensor>& inputs)
    : problem_(problem), a_(inputs.at(0)), b_(inputs.at(1)), c_(problem.output_specs().at(0)) {
  fill_nan(c_);
}

Status CpuGemmWorkload::poison_outputs() {
  fill_nan(c_);
  return {};
}

Expected<std::vector<HostTensor>> CpuGemmWorkload::read_outputs() { return std::vector<HostTensor>{c_}; }

std::unique_ptr<DeviceTimer> CpuGemmWorkload::make_timer() { return std::make_unique<HostTimer>(); }

}  // namespace tb
