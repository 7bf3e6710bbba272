#include "backends/cuda/cuda_backend.h"

#include <cstdlib>

#include <cuda_runtime_api.h>

#include <algorithm>
#include <optional>

#include "backends/cuda/cublaslt_library.h"
#include "backends/cuda/cuda_attention.h"
#include "backends/cuda/cuda_device.h"
#include "backends/cuda/cuda_gemm_workload.h"
#include "backends/cuda/cuda_handles.h"
#include "backends/cuda/cuda_options.h"
#include "backends/cuda/cudnn_library.h"
#include "backends/cuda/nccl_allreduce.h"
#include "backends/cuda/nccl_library.h"
#include "backends/kernel_table.h"
#include "mpi/mpi_world.h"

namespace tb {
namespace cuda {

Status device_status(int* device_count) {
  *device_count = 0;
  const cudaError_t status = cudaGetDeviceCount(device_count);
  if (status != cudaSuccess) {
    *device_count = 0;
    return unavailable(std::string("no CUDA device: cudaGetDeviceCount: ") + cudaGetErrorName(status) + " (" +
                       cudaGetErrorString(status) + ")");
  }
  if (*device_count == 0) return unavailable("no CUDA device: cudaGetDeviceCount reports 0 devices");
  return {};
}

namespace {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const BackendOptions& options) : values_(options.values) {
    const auto value = [&](CudaOption o) { return option_value(values_, cuda_options()[o]); };
    status_ = device_status(&device_count_);
    // The command line checks the values first; a library caller gets this message.
    if (Status valid = validate_options(cuda_options(), values_); !valid) status_ = valid;
    tf32_ = value(kCudaTf32) == "true";
    gemm_options_.allow_tf32 = tf32_;
    gemm_options_.rotate_buffers = value(kCudaColdCache) == "true";
    gemm_options_.algo_candidates = std::atoi(value(kCudaGemmCandidates).c_str());
    if (Expected<AttentionImpl> impl = parse_attention_impl(value(kCudaAttention)); impl.ok()) {
      attention_impl_ = impl.value();
    }
    // Collectives: every rank decides, whatever its own status, so that all agree.
    if (options.mpi != nullptr) decide_mpi_mode(*options.mpi);
    if (!status_.ok()) return;
    status_ = init_device();
    if (!status_.ok()) return;
    Expected<std::shared_ptr<const CublasLtLibrary>> lib = open_cublaslt();
    if (lib.ok()) {
      cublaslt_ = std::move(lib).value();
    } else {
      cublaslt_error_ = lib.error().message;
    }
  }

  std::string_view name() const override { return "cuda"; }
  Status available() const override { return status_; }
  int device_count() const override { return std::max(device_count_, 1); }

  DeviceInfo device_info() const override {
    DeviceInfo info = query_device_info(device_, tf32_, /*measure_copy=*/true);
    info.properties.emplace_back("visible_devices", std::to_string(device_count_));
    info.properties.emplace_back("cublaslt", cublaslt_ ? cublaslt_->version() + " (" + cublaslt_->loaded_from() + ")"
                                                       : "unavailable: " + cublaslt_error_);
    info.properties.emplace_back("nccl", nccl_version_or_reason());
    const Expected<std::shared_ptr<const CudnnLibrary>>& cudnn = default_cudnn();
    info.properties.emplace_back("cudnn", cudnn.ok() ? cudnn.value()->version() + " (" + cudnn.value()->loaded_from() + ")"
                                                     : "unavailable: " + cudnn.error().message);
    info.properties.emplace_back("cuda_attention", std::string(attention_impl_name(attention_impl_)));
    info.properties.emplace_back("cuda_tf32", tf32_ ? "on" : "off");
    info.properties.emplace_back("cuda_cold_cache", gemm_options_.rotate_buffers ? "on" : "off");
    return info;
  }

  Support supports(const Problem& problem) const override {
    if (!status_.ok()) return {false, "cuda: " + status_.error().message};
    return kernels().supports(*this, problem);
  }
  std::int64_t device_bytes(const Problem& problem) const override { return kernels().device_bytes(*this, problem); }
  Expected<std::unique_ptr<Workload>> prepare(const ProblemPtr& problem,
                                              const std::vector<HostTensor>& inputs) override {
    if (!status_.ok()) return bad_input("cuda: " + status_.error().message);
    return kernels().prepare(*this, problem, inputs);
  }

  std::string reproducer_options() const override { return spell_options(cuda_options(), values_); }

 private:
  static const KernelTable<CudaBackend>& kernels() {
    static constexpr KernelRow<CudaBackend> rows[] = {
        {"gemm", &CudaBackend::gemm_supports, &CudaBackend::gemm_bytes, &CudaBackend::prepare_gemm},
        {"attention", &CudaBackend::attention_supports, &CudaBackend::attention_bytes, &CudaBackend::prepare_attention},
        {"allreduce", &CudaBackend::allreduce_supports, &CudaBackend::allreduce_bytes, &CudaBackend::prepare_allreduce},
    };
    static const KernelTable<CudaBackend> table{rows};
    return table;
  }

  Support gemm_supports(const Problem& problem) const {
    const auto& gemm = static_cast<const GemmProblem&>(problem);
    if (const Support s = gemm_support(gemm, cc_major_, cc_minor_); !s.supported) return {false, "cuda: " + s.reason};
    if (!cublaslt_) return {false, "cuda: GEMM needs cuBLASLt: " + cublaslt_error_};
    return {true, {}};
  }
  std::int64_t gemm_bytes(const Problem& problem) const {
    return gemm_device_bytes(static_cast<const GemmProblem&>(problem), gemm_options_);
  }
  Expected<std::unique_ptr<Workload>> prepare_gemm(const ProblemPtr& problem, const std::vector<HostTensor>& inputs) {
    TB_RETURN_IF_ERROR(check(cudaSetDevice(device_), "cudaSetDevice"));
    return make_gemm_workload(static_cast<const GemmProblem&>(*problem), inputs, cublaslt_, gemm_options_);
  }

  Support attention_supports(const Problem& problem) const {
    return attention_support(problem, cc_major_, cc_minor_, attention_impl_);
  }
  std::int64_t attention_bytes(const Problem& problem) const { return attention_device_bytes(problem); }
  Expected<std::unique_ptr<Workload>> prepare_attention(const ProblemPtr& problem,
                                                        const std::vector<HostTensor>& inputs) {
    TB_RETURN_IF_ERROR(check(cudaSetDevice(device_), "cudaSetDevice"));
    return make_attention_workload(problem, inputs, attention_impl_);
  }

  Support allreduce_supports(const Problem& problem) const {
    return nccl_allreduce_support(problem, device_count_, mpi_ ? &*mpi_ : nullptr);
  }
  std::int64_t allreduce_bytes(const Problem& problem) const { return nccl_allreduce_device_bytes(problem); }
  Expected<std::unique_ptr<Workload>> prepare_allreduce(const ProblemPtr& problem,
                                                        const std::vector<HostTensor>& inputs) {
    TB_RETURN_IF_ERROR(check(cudaSetDevice(device_), "cudaSetDevice"));
    return make_nccl_allreduce_workload(problem, inputs, mpi_ ? &*mpi_ : nullptr);
  }

  // Under mpirun: this rank's GPU (local rank % visible devices) and whether
  // every rank can run NCCL all-reduce with transport=mpi (agreed across ranks).
  void decide_mpi_mode(MpiWorld& world) {
    const NcclRankPlacement placement{world.local_rank(), world.local_ranks(), device_count_, world.node_name()};
    Support mine{false, "cuda: " + (status_.ok() ? std::string() : status_.error().message)};
    if (status_.ok()) {
      const Expected<std::shared_ptr<nccl::NcclLibrary>>& nccl = nccl::default_library();
      mine = nccl_rank_support(placement, nccl ? std::string() : nccl.error().message);
    }
    device_ = nccl_rank_device(placement);
    mpi_ = NcclMpiMode{&world, device_, agree_across_ranks(world, mine)};
  }

  Status init_device() {
    TB_RETURN_IF_ERROR(check(cudaSetDevice(device_), "cudaSetDevice"));
    int l2 = 0;
    TB_RETURN_IF_ERROR(check(cudaDeviceGetAttribute(&cc_major_, cudaDevAttrComputeCapabilityMajor, device_),
                             "cudaDeviceGetAttribute (compute capability major)"));
    TB_RETURN_IF_ERROR(check(cudaDeviceGetAttribute(&cc_minor_, cudaDevAttrComputeCapabilityMinor, device_),
                             "cudaDeviceGetAttribute (compute capability minor)"));
    TB_RETURN_IF_ERROR(check(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device_),
                             "cudaDeviceGetAttribute (L2 cache size)"));
    gemm_options_.l2_bytes = l2;
    return {};
  }

  BackendOptionValues values_;  // as given: the reproducer spells them back
  bool tf32_ = false;
  GemmOptions gemm_options_;
  AttentionImpl attention_impl_ = AttentionImpl::kAuto;
  Status status_;
  int device_count_ = 0;
  int device_ = 0;  // every workload's device: the first visible one, or under mpirun the rank's (decide_mpi_mode)
  std::optional<NcclMpiMode> mpi_;  // set under mpirun
  int cc_major_ = 0;
  int cc_minor_ = 0;
  std::shared_ptr<const CublasLtLibrary> cublaslt_;
  std::string cublaslt_error_;
};

}  // namespace
}  // namespace cuda

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& options) {
  return std::make_unique<cuda::CudaBackend>(options);
}

}  // namespace tb
