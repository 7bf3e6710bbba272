#include "backends/cpu/cpu_backend.h"

#include <cblas.h>
#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <dnnl.hpp>

#include "backends/cpu/allreduce/cpu_allreduce.h"
#include "backends/cpu/cpu_attention.h"
#include "backends/cpu/cpu_device.h"
#include "common/host_info.h"
#include "backends/cpu/cpu_gemm.h"

namespace tb {
namespace {

std::string gb_per_s(double bytes_per_s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GB/s", bytes_per_s / 1e9);
  return buf;
}

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

class CpuBackend final : public Backend {
 public:
  CpuBackend(CpuEngine engine, const BackendOptions& options)
      : engine_(engine),
        threads_(options.threads > 0 ? options.threads : logical_cpu_count()),
        comm_timeout_s_(options.comm_timeout_s),
        mpi_(options.mpi) {
    // Every library gets the same thread count, so engines compare fairly.
    openblas_set_num_threads(threads_);
    omp_set_num_threads(threads_);
    Eigen::setNbThreads(threads_);
  }

  std::string_view name() const override {
    switch (engine_) {
      case CpuEngine::kDefault: return "cpu";
      case CpuEngine::kEigen: return "cpu-eigen";
      case CpuEngine::kOneDnn: return "cpu-onednn";
    }
    return "cpu";
  }

  Status available() const override { return {}; }

  DeviceInfo device_info() const override {
    DeviceInfo info;
    info.name = cpu_model_name();
    info.kind = "cpu";
    info.compute_units = threads_;
    info.memory_bytes = host_memory_available();
    info.shares_host_memory = true;
    info.peak_flop_per_s = measured_peak_flop_per_s(threads_);
    info.peak_source = "measured: independent-FMA loop on " + std::to_string(threads_) +
                       " threads (AVX-512/AVX2 vfmadd for fp32, vdpbf16ps for bf16); best of 3";
    const MemcpyBandwidth copy = measured_memcpy_bandwidth(threads_);
    info.memory_bandwidth_bytes_per_s = std::max(copy.one_thread_bytes_per_s, copy.all_threads_bytes_per_s);
    const dnnl_version_t* v = dnnl_version();
    info.properties = {
        {"blas_config", openblas_config()},
        {"openblas_coretype_env", env_or("OPENBLAS_CORETYPE", "(unset)")},
        {"openblas_l2_size_env", env_or("OPENBLAS_L2_SIZE", "(unset)")},
        {"onednn_version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch)},
        {"eigen_version", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                              std::to_string(EIGEN_MINOR_VERSION)},
        {"threads", std::to_string(threads_)},
        {"memory_bandwidth_source",
         "measured: memcpy of 32 MiB per thread, bytes copied per second, best of 5; " +
             (copy.threads == 1 ? "1 thread (" + gb_per_s(copy.one_thread_bytes_per_s) + ")"
                                : "the larger of 1 thread (" + gb_per_s(copy.one_thread_bytes_per_s) + ") and " +
                                      std::to_string(copy.threads) + " threads (" +
                                      gb_per_s(copy.all_threads_bytes_per_s) + ")")},
    };
    return info;
  }

  Support supports(const Problem& problem) const override {
    if (const auto* allreduce = dynamic_cast<const AllreduceProblem*>(&problem)) {
      if (engine_ != CpuEngine::kDefault) {
        return {false, std::string(name()) + ": allreduce runs on --backend cpu (it uses no math library)"};
      }
      return cpu_allreduce_support(*allreduce, mpi_);
    }
    if (const auto* attention = dynamic_cast<const AttentionProblem*>(&problem)) {
      if (engine_ != CpuEngine::kDefault) {
        return {false, std::string(name()) + ": attention runs on --backend cpu (one fused kernel for every CPU engine)"};
      }
      return cpu_attention_support(*attention);
    }
    const auto* gemm = dynamic_cast<const GemmProblem*>(&problem);
    if (gemm == nullptr) {
      return {false, std::string(name()) + ": kernel '" + std::string(problem.kernel()) + "' is not implemented"};
    }
    if (gemm->dtype() == DType::kFp8E4m3) {
      return {false, std::string(name()) + ": fp8 GEMM is not supported on CPUs (no CPU library here runs e4m3 "
                                           "matmuls natively); use --backend cuda on compute capability 8.9+"};
    }
    const bool fp32 = gemm->dtype() == DType::kFp32;
    switch (engine_) {
      case CpuEngine::kDefault:
        return fp32 ? Support{true, {}} : onednn_gemm_support(*gemm);
      case CpuEngine::kEigen:
        if (fp32) return {true, {}};
        return {false, "cpu-eigen: " + std::string(dtype_name(gemm->dtype())) +
                           " GEMM not supported (Eigen has no fast path); use --backend cpu"};
      case CpuEngine::kOneDnn:
        return onednn_gemm_support(*gemm);
    }
    return {false, "unknown engine"};
  }

  std::int64_t device_bytes(const Problem& problem) const override {
    if (const auto* allreduce = dynamic_cast<const AllreduceProblem*>(&problem)) return cpu_allreduce_bytes(*allreduce);
    if (const auto* attention = dynamic_cast<const AttentionProblem*>(&problem)) return cpu_attention_bytes(*attention);
    return problem.host_bytes();  // the workload's own copies of A, B and C
  }

  Expected<std::unique_ptr<Workload>> prepare(const ProblemPtr& problem,
                                              const std::vector<HostTensor>& inputs) override {
    const Support s = supports(*problem);
    if (!s.supported) return bad_input(s.reason);
    if (const auto* attention = dynamic_cast<const AttentionProblem*>(problem.get())) {
      return make_cpu_attention(*attention, inputs);
    }
    if (const auto* allreduce = dynamic_cast<const AllreduceProblem*>(problem.get())) {
      if (allreduce->transport() == AllreduceTransport::kThreads) {
        return make_threads_allreduce(*allreduce, inputs, comm_timeout_s_);
      }
      return make_mpi_allreduce(*allreduce, inputs, *mpi_);
    }
    const auto& gemm = static_cast<const GemmProblem&>(*problem);
    const bool fp32 = gemm.dtype() == DType::kFp32;
    if (engine_ == CpuEngine::kEigen) return make_eigen_gemm(gemm, inputs);
    if (engine_ == CpuEngine::kDefault && fp32) return make_openblas_gemm(gemm, inputs);
    return make_onednn_gemm(gemm, inputs);
  }

 private:
  CpuEngine engine_;
  int threads_;
  double comm_timeout_s_;
  MpiWorld* mpi_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(CpuEngine engine, const BackendOptions& options) {
  return std::make_unique<CpuBackend>(engine, options);
}

}  // namespace tb
