#include "backends/cuda/cuda_backend.h"

#include <cuda_runtime_api.h>

#include "backends/cuda/cublaslt_library.h"
#include "backends/cuda/cuda_attention.h"
#include "backends/cuda/cuda_device.h"
#include "backends/cuda/cuda_gemm_workload.h"
#include "backends/cuda/cuda_handles.h"
#include "backends/cuda/nccl_allreduce.h"

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

constexpr int kDevice = 0;  // every workload runs on the first visible device (CUDA_VISIBLE_DEVICES picks it)

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const BackendOptions& options) : tf32_(options.cuda_allow_tf32) {
    gemm_options_.allow_tf32 = options.cuda_allow_tf32;
    gemm_options_.rotate_buffers = options.cuda_rotate_buffers;
    status_ = device_status(&device_count_);
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

  DeviceInfo device_info() const override {
    DeviceInfo info = query_device_info(kDevice, tf32_, /*measure_copy=*/true);
    info.properties.emplace_back("visible_devices", std::to_string(device_count_));
    info.properties.emplace_back("cublaslt", cublaslt_ ? cublaslt_->version() + " (" + cublaslt_->loaded_from() + ")"
                                                       : "unavailable: " + cublaslt_error_);
    info.properties.emplace_back("nccl", nccl_version_or_reason());
    info.properties.emplace_back("cuda_tf32", tf32_ ? "on" : "off");
    info.properties.emplace_back("cuda_cold_cache", gemm_options_.rotate_buffers ? "on" : "off");
    return info;
  }

  Support supports(const Problem& problem) const override {
    if (!status_.ok()) return {false, "cuda: " + status_.error().message};
    if (problem.kernel() == "attention") return attention_support(problem, cc_major_, cc_minor_);
    if (problem.kernel() == "allreduce") return nccl_allreduce_support(problem, device_count_);
    const auto* gemm = dynamic_cast<const GemmProblem*>(&problem);
    if (gemm == nullptr) {
      return {false, "cuda: kernel '" + std::string(problem.kernel()) + "' is not implemented"};
    }
    if (!dtype_supported_on(gemm->dtype(), cc_major_, cc_minor_)) {
      return {false, "cuda: " + std::string(dtype_name(gemm->dtype())) + " GEMM needs compute capability 8.0 or "
                     "newer; this device has " + std::to_string(cc_major_) + "." + std::to_string(cc_minor_)};
    }
    if (!cublaslt_) return {false, "cuda: GEMM needs cuBLASLt: " + cublaslt_error_};
    return {true, {}};
  }

  std::int64_t device_bytes(const Problem& problem) const override {
    if (problem.kernel() == "attention") return attention_device_bytes(problem);
    if (problem.kernel() == "allreduce") return nccl_allreduce_device_bytes(problem);
    if (const auto* gemm = dynamic_cast<const GemmProblem*>(&problem)) return gemm_device_bytes(*gemm, gemm_options_);
    return 0;
  }

  Expected<std::unique_ptr<Workload>> prepare(const ProblemPtr& problem,
                                              const std::vector<HostTensor>& inputs) override {
    const Support s = supports(*problem);
    if (!s.supported) return bad_input(s.reason);
    TB_RETURN_IF_ERROR(check(cudaSetDevice(kDevice), "cudaSetDevice"));
    if (problem->kernel() == "attention") return make_attention_workload(problem, inputs);
    if (problem->kernel() == "allreduce") return make_nccl_allreduce_workload(problem, inputs);
    return make_gemm_workload(static_cast<const GemmProblem&>(*problem), inputs, cublaslt_, gemm_options_);
  }

  std::string reproducer_options() const override {
    std::string options;
    if (tf32_) options += " --cuda-tf32";
    if (gemm_options_.rotate_buffers) options += " --cuda-cold-cache";
    return options;
  }

 private:
  Status init_device() {
    TB_RETURN_IF_ERROR(check(cudaSetDevice(kDevice), "cudaSetDevice"));
    int l2 = 0;
    TB_RETURN_IF_ERROR(check(cudaDeviceGetAttribute(&cc_major_, cudaDevAttrComputeCapabilityMajor, kDevice),
                             "cudaDeviceGetAttribute (compute capability major)"));
    TB_RETURN_IF_ERROR(check(cudaDeviceGetAttribute(&cc_minor_, cudaDevAttrComputeCapabilityMinor, kDevice),
                             "cudaDeviceGetAttribute (compute capability minor)"));
    TB_RETURN_IF_ERROR(check(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, kDevice),
                             "cudaDeviceGetAttribute (L2 cache size)"));
    gemm_options_.l2_bytes = l2;
    return {};
  }

  bool tf32_;
  GemmOptions gemm_options_;
  Status status_;
  int device_count_ = 0;
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
