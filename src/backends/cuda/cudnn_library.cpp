#include "backends/cuda/cudnn_library.h"

#include "backends/cuda/cuda_library_search.h"

namespace tb::cuda {
namespace {

constexpr std::size_t kMinimumVersion = 90000;  // the backend API as used here (cudnnGetVersion: major*10000+...)

void resolve_cudnn(SymbolResolver& resolver, CudnnApi& api) {
#define TB_CUDNN_RESOLVE(name) resolver.resolve(api.name, #name);
  TB_CUDNN_ENTRY_POINTS(TB_CUDNN_RESOLVE)
#undef TB_CUDNN_RESOLVE
}

}  // namespace

Expected<std::shared_ptr<const CudnnLibrary>> CudnnLibrary::open(const std::string& path) {
  // RTLD_NODELETE: cuDNN loads its sub-libraries and keeps allocations in its
  // globals, as cuBLASLt does (cublaslt_library.cpp).
  TB_ASSIGN_OR_RETURN(BoundLibrary<CudnnApi> bound,
                      BoundLibrary<CudnnApi>::open(path, SharedLibrary::kDefaultFlags | RTLD_NODELETE, "cuDNN",
                                                   resolve_cudnn));
  auto lib = std::shared_ptr<const CudnnLibrary>(new CudnnLibrary(std::move(bound)));
  if (lib->api().cudnnGetVersion() < kMinimumVersion) {
    return unavailable("'" + path + "' is " + lib->version() + ": the CUDA backend needs cuDNN 9 or newer");
  }
  return lib;
}

std::string CudnnLibrary::loaded_from() const { return file_of(api().cudnnGetVersion); }

std::string CudnnLibrary::version() const {
  const std::size_t v = api().cudnnGetVersion();  // major * 10000 + minor * 100 + patch (cuDNN 9)
  return "cuDNN " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

Expected<std::shared_ptr<const CudnnLibrary>> open_cudnn(const std::vector<std::string>& names) {
  return open_first(cuda_library_candidates(names), CudnnLibrary::open, "cuDNN",
                    cuda_library_hint("cuDNN 9", "libcudnn.so.9"));
}

const Expected<std::shared_ptr<const CudnnLibrary>>& default_cudnn() {
  static const Expected<std::shared_ptr<const CudnnLibrary>> lib = open_cudnn();
  return lib;
}

Status check(const CudnnLibrary& lib, cudnnStatus_t status, const std::string& call) {
  if (status == CUDNN_STATUS_SUCCESS) return {};
  std::string message = call + " failed: " + lib.api().cudnnGetErrorString(status);
  char detail[512] = {};
  lib.api().cudnnGetLastErrorString(detail, sizeof detail);
  if (detail[0] != '\0') message += std::string(": ") + detail;
  return run_failure(std::move(message));
}

Expected<CudnnHandle> create_cudnn_handle(std::shared_ptr<const CudnnLibrary> lib) {
  cudnnHandle_t handle = nullptr;
  TB_RETURN_IF_ERROR(check(*lib, lib->api().cudnnCreate(&handle), "cudnnCreate"));
  const auto destroy = lib->api().cudnnDestroy;
  return CudnnHandle(handle, {std::move(lib), destroy});
}

}  // namespace tb::cuda
