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
#include "backends/cpu/cpu_gemm.h"
#include "backends/cpu/cpu_options.h"
#include "backends/kernel_table.h"
#include "common/cpu_isa.h"
#include "common/format.h"
#include "common/host_info.h"

namespace tb {
namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

// TRAINBENCH_MAX_ISA caps oneDNN too, unless ONEDNN_MAX_CPU_ISA says otherwise.
// oneDNN takes a cap only before its first primitive; later calls change nothing.
void cap_onednn_isa() {
  const Expected<std::optional<CpuIsa>> cap = cpu_isa_cap_from_env();
  if (!cap || !cap->has_value() || std::getenv("ONEDNN_MAX_CPU_ISA") != nullptr) return;
  dnnl::cpu_isa isa = dnnl::cpu_isa::all;
  switch (**cap) {
    case CpuIsa::kPortable: isa = dnnl::cpu_isa::sse41; break;
    case CpuIsa::kAvx2: isa = dnnl::cpu_isa::avx2; break;
    case CpuIsa::kAvx512: isa = dnnl::cpu_isa::avx512_core; break;
    case CpuIsa::kAvx512Bf16: isa = dnnl::cpu_isa::avx512_core_bf16; break;
  }
  try {
    dnnl::set_max_cpu_isa(isa);
  } catch (const dnnl::error&) {  // a primitive was already created in this process
  }
}

std::string onednn_isa_name() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

std::string gb_per_s(double bytes_per_s) { return format_fixed(bytes_per_s / 1e9, 1) + " GB/s"; }

// How the CPU backend runs a GEMM of this dtype on this engine and CPU.
enum class GemmRoute { kOpenBlas, kEigen, kOneDnn, kWidened, kNone };
struct GemmPlan {
  GemmRoute route = GemmRoute::kNone;
  std::string reason;  // kNone: why not; kWidened: why oneDNN was not used
};

class CpuBackend final : public Backend {
 public:
  CpuBackend(CpuEngine engine, const BackendOptions& options)
      : engine_(engine),
        threads_(options.threads > 0 ? options.threads : logical_cpu_count()),
        comm_timeout_s_(options.comm_timeout_s),
        mpi_(options.mpi),
        values_(engine == CpuEngine::kDefault ? options.values : BackendOptionValues{}) {
    // The command line checks the values first; a library caller gets this message from available().
    status_ = validate_options(cpu_options(), values_);
    if (Expected<CpuAttentionImpl> impl =
            parse_cpu_attention_impl(option_value(values_, cpu_options()[kCpuAttention]));
        impl.ok()) {
      attention_impl_ = impl.value();
    }
    cap_onednn_isa();
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

  Status available() const override { return status_; }
  std::string reproducer_options() const override { return spell_options(cpu_options(), values_); }

  DeviceInfo device_info() const override {
    DeviceInfo info;
    info.name = cpu_model_name();
    info.kind = "cpu";
    info.compute_units = threads_;
    info.memory_bytes = host_memory_available();
    info.shares_host_memory = true;
    const PeakProbe peak = measured_peak_flop_per_s(threads_);
    info.peak_flop_per_s = peak.flop_per_s;
    info.peak_source = peak.source;
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
        {"cpu_isa", cpu_isa_description()},
        {"onednn_max_cpu_isa_env", env_or("ONEDNN_MAX_CPU_ISA", "(unset)")},
        {"onednn_effective_cpu_isa", onednn_isa_name()},
        {"memory_bandwidth_source",
         "measured: memcpy of " + std::to_string(copy.bytes_per_thread >> 20) +
             " MiB per thread, bytes copied per second, best of 5; " +
             (copy.threads == 1 ? "1 thread (" + gb_per_s(copy.one_thread_bytes_per_s) + ")"
                                : "the larger of 1 thread (" + gb_per_s(copy.one_thread_bytes_per_s) + ") and " +
                                      std::to_string(copy.threads) + " threads (" +
                                      gb_per_s(copy.all_threads_bytes_per_s) + ")")},
    };
    return info;
  }

  Support supports(const Problem& problem) const override { return kernels().supports(*this, problem); }
  std::int64_t device_bytes(const Problem& problem) const override { return kernels().device_bytes(*this, problem); }
  Expected<std::unique_ptr<Workload>> prepare(const ProblemPtr& problem,
                                              const std::vector<HostTensor>& inputs) override {
    return kernels().prepare(*this, problem, inputs);
  }

 private:
  static const KernelTable<CpuBackend>& kernels() {
    static constexpr KernelRow<CpuBackend> rows[] = {
        {"gemm", &CpuBackend::gemm_supports, &CpuBackend::gemm_bytes, &CpuBackend::prepare_gemm},
        {"attention", &CpuBackend::attention_supports, &CpuBackend::attention_bytes, &CpuBackend::prepare_attention},
        {"allreduce", &CpuBackend::allreduce_supports, &CpuBackend::allreduce_bytes, &CpuBackend::prepare_allreduce},
    };
    static const KernelTable<CpuBackend> table{rows};
    return table;
  }

  Support gemm_supports(const Problem& problem) const {
    const GemmPlan plan = gemm_plan(static_cast<const GemmProblem&>(problem));
    if (plan.route == GemmRoute::kNone) return {false, plan.reason};
    return {true, {}};
  }
  // The workload's own copies of A, B and C; the fallback adds fp32 copies.
  std::int64_t gemm_bytes(const Problem& problem) const {
    const auto& gemm = static_cast<const GemmProblem&>(problem);
    if (gemm_plan(gemm).route == GemmRoute::kWidened) return problem.host_bytes() + widened_gemm_extra_bytes(gemm);
    return problem.host_bytes();
  }
  Expected<std::unique_ptr<Workload>> prepare_gemm(const ProblemPtr& problem, const std::vector<HostTensor>& inputs) {
    const auto& gemm = static_cast<const GemmProblem&>(*problem);
    const GemmPlan plan = gemm_plan(gemm);
    switch (plan.route) {
      case GemmRoute::kEigen: return make_eigen_gemm(gemm, inputs);
      case GemmRoute::kOpenBlas: return make_openblas_gemm(gemm, inputs);
      case GemmRoute::kWidened: return make_widened_gemm(gemm, inputs, plan.reason);
      case GemmRoute::kOneDnn: return make_onednn_gemm(gemm, inputs);
      case GemmRoute::kNone: break;
    }
    return bad_input(plan.reason);
  }

  Support attention_supports(const Problem& problem) const {
    if (engine_ != CpuEngine::kDefault) {
      return {false, std::string(name()) + ": attention runs on --backend cpu (the fused kernel or the oneDNN composition, whatever the GEMM engine)"};
    }
    return cpu_attention_support(static_cast<const AttentionProblem&>(problem), attention_impl_);
  }
  std::int64_t attention_bytes(const Problem& problem) const {
    return cpu_attention_bytes(static_cast<const AttentionProblem&>(problem), attention_impl_, threads_);
  }
  Expected<std::unique_ptr<Workload>> prepare_attention(const ProblemPtr& problem,
                                                        const std::vector<HostTensor>& inputs) {
    return make_cpu_attention(static_cast<const AttentionProblem&>(*problem), inputs, attention_impl_);
  }

  Support allreduce_supports(const Problem& problem) const {
    if (engine_ != CpuEngine::kDefault) {
      return {false, std::string(name()) + ": allreduce runs on --backend cpu (it uses no math library)"};
    }
    return cpu_allreduce_support(static_cast<const AllreduceProblem&>(problem), mpi_);
  }
  std::int64_t allreduce_bytes(const Problem& problem) const {
    return cpu_allreduce_bytes(static_cast<const AllreduceProblem&>(problem));
  }
  Expected<std::unique_ptr<Workload>> prepare_allreduce(const ProblemPtr& problem,
                                                        const std::vector<HostTensor>& inputs) {
    const auto& allreduce = static_cast<const AllreduceProblem&>(*problem);
    if (allreduce.transport() == AllreduceTransport::kThreads) {
      return make_threads_allreduce(allreduce, inputs, comm_timeout_s_);
    }
    return make_mpi_allreduce(allreduce, inputs, *mpi_);
  }

  // cpu: fp32 by OpenBLAS; bf16 and fp16 by oneDNN where it has a native
  // matmul on this CPU (under its ISA cap), else widened to fp32 (OpenBLAS).
  // cpu-eigen: fp32 only. cpu-onednn: oneDNN only, no fallback.
  GemmPlan gemm_plan(const GemmProblem& gemm) const {
    if (gemm.dtype() == DType::kFp8E4m3) {
      return {GemmRoute::kNone, std::string(name()) + ": fp8 GEMM is not supported on CPUs (no CPU library here runs "
                                                      "e4m3 matmuls natively); use --backend cuda on compute capability 8.9+"};
    }
    const bool fp32 = gemm.dtype() == DType::kFp32;
    switch (engine_) {
      case CpuEngine::kDefault: {
        if (fp32) return {GemmRoute::kOpenBlas, {}};
        const Support onednn = onednn_gemm_support(gemm);
        if (onednn.supported) return {GemmRoute::kOneDnn, {}};
        return {GemmRoute::kWidened, onednn.reason};
      }
      case CpuEngine::kEigen:
        if (fp32) return {GemmRoute::kEigen, {}};
        return {GemmRoute::kNone, "cpu-eigen: " + std::string(dtype_name(gemm.dtype())) +
                                      " GEMM not supported (Eigen has no fast path); use --backend cpu"};
      case CpuEngine::kOneDnn: {
        const Support onednn = onednn_gemm_support(gemm);
        if (onednn.supported) return {GemmRoute::kOneDnn, {}};
        return {GemmRoute::kNone, "cpu-onednn: " + onednn.reason +
                                      "; --backend cpu runs it widened to fp32 instead"};
      }
    }
    return {GemmRoute::kNone, "unknown engine"};
  }

  CpuEngine engine_;
  int threads_;
  double comm_timeout_s_;
  MpiWorld* mpi_;
  BackendOptionValues values_;  // --cpu-attention (backend "cpu" only)
  Status status_;
  CpuAttentionImpl attention_impl_ = CpuAttentionImpl::kAuto;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(CpuEngine engine, const BackendOptions& options) {
  return std::make_unique<CpuBackend>(engine, options);
}

}  // namespace tb
