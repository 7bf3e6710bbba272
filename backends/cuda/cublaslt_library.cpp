#include "backends/cuda/cublaslt_library.h"

#include <dlfcn.h>

#include <cstdlib>

namespace tb::cuda {
namespace {

std::string last_dl_error() {
  const char* text = dlerror();
  return text != nullptr ? std::string(text) : std::string("unknown dynamic loader error");
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

CublasLtLibrary::CublasLtLibrary(void* handle, std::string path, const CublasLtApi& api)
    : handle_(handle), path_(std::move(path)), api_(api) {}

CublasLtLibrary::~CublasLtLibrary() {
  if (handle_ != nullptr) dlclose(handle_);
}

Expected<std::shared_ptr<const CublasLtLibrary>> CublasLtLibrary::open(const std::string& path) {
  dlerror();  // clear any stale error
  // RTLD_NODELETE: cuBLASLt allocates at load (its own C++ runtime's
  // exception pool) and keeps the pointer in its globals; unmapping the
  // library on dlclose would turn that into a leak under LeakSanitizer.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) return unavailable("cannot load '" + path + "': " + last_dl_error());
  CublasLtApi api;
  std::string first_missing;
  int missing = 0;
#define TB_CUBLASLT_RESOLVE(name)                                       \
  api.name = reinterpret_cast<decltype(&::name)>(dlsym(handle, #name)); \
  if (api.name == nullptr && missing++ == 0) first_missing = #name;
  TB_CUBLASLT_ENTRY_POINTS(TB_CUBLASLT_RESOLVE)
#undef TB_CUBLASLT_RESOLVE
  dlerror();
  if (missing > 0) {
    dlclose(handle);
    std::string message = "'" + path + "' is not cuBLASLt: symbol " + first_missing + " missing";
    if (missing > 1) message += " (and " + std::to_string(missing - 1) + " more entry points)";
    return unavailable(std::move(message));
  }
  return std::shared_ptr<const CublasLtLibrary>(new CublasLtLibrary(handle, path, api));
}

std::string CublasLtLibrary::loaded_from() const {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(api_.cublasLtCreate), &info) != 0 && info.dli_fname != nullptr &&
      info.dli_fname[0] != '\0') {
    return info.dli_fname;
  }
  return path_;
}

std::string CublasLtLibrary::version() const {
  const std::size_t v = api_.cublasLtGetVersion();  // major * 10000 + minor * 100 + patch
  return "cuBLASLt " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

std::vector<LibraryCandidate> cublaslt_search_order(const std::vector<std::string>& names, const std::string& env_dir,
                                                    const std::string& cuda_home) {
  std::vector<std::pair<std::string, std::string>> places;  // (directory prefix, source)
  if (!env_dir.empty()) places.emplace_back(env_dir + "/", kCudaLibDirEnvVar);
  places.emplace_back("", "loader search path");
  if (!cuda_home.empty()) places.emplace_back(cuda_home + "/lib64/", "CUDA_HOME");
  places.emplace_back("/usr/local/cuda/lib64/", "default install");
  std::vector<LibraryCandidate> candidates;
  for (const auto& [prefix, source] : places) {
    for (const std::string& name : names) candidates.push_back({prefix + name, source});
  }
  return candidates;
}

Expected<std::shared_ptr<const CublasLtLibrary>> open_cublaslt(const std::vector<std::string>& names) {
  std::string tried;
  for (const LibraryCandidate& c :
       cublaslt_search_order(names, env_or_empty(kCudaLibDirEnvVar), env_or_empty("CUDA_HOME"))) {
    Expected<std::shared_ptr<const CublasLtLibrary>> lib = CublasLtLibrary::open(c.path);
    if (lib.ok()) return lib;
    tried += (tried.empty() ? "" : "; ") + ("[" + c.source + "] " + lib.error().message);
  }
  return unavailable("no usable cuBLASLt: tried " + tried + "; install the CUDA toolkit's cuBLAS or set " +
                     kCudaLibDirEnvVar + " to the directory holding libcublasLt.so.13");
}

Status check(const CublasLtLibrary& lib, cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return {};
  return run_failure(std::string(call) + " failed: " + lib.api().cublasLtGetStatusName(status) + " (" +
                     lib.api().cublasLtGetStatusString(status) + ")");
}

Expected<LtHandle> create_handle(const std::shared_ptr<const CublasLtLibrary>& lib) {
  cublasLtHandle_t handle = nullptr;
  TB_RETURN_IF_ERROR(check(*lib, lib->api().cublasLtCreate(&handle), "cublasLtCreate"));
  return LtHandle(lib, handle, lib->api().cublasLtDestroy);
}

Expected<MatmulDesc> create_matmul_desc(const std::shared_ptr<const CublasLtLibrary>& lib, cublasComputeType_t compute,
                                        cublasOperation_t trans_a, cublasOperation_t trans_b) {
  const CublasLtApi& api = lib->api();
  cublasLtMatmulDesc_t raw = nullptr;
  TB_RETURN_IF_ERROR(check(*lib, api.cublasLtMatmulDescCreate(&raw, compute, CUDA_R_32F), "cublasLtMatmulDescCreate"));
  MatmulDesc desc(lib, raw, api.cublasLtMatmulDescDestroy);
  TB_RETURN_IF_ERROR(check(*lib,
                           api.cublasLtMatmulDescSetAttribute(raw, CUBLASLT_MATMUL_DESC_TRANSA, &trans_a, sizeof trans_a),
                           "cublasLtMatmulDescSetAttribute (TRANSA)"));
  TB_RETURN_IF_ERROR(check(*lib,
                           api.cublasLtMatmulDescSetAttribute(raw, CUBLASLT_MATMUL_DESC_TRANSB, &trans_b, sizeof trans_b),
                           "cublasLtMatmulDescSetAttribute (TRANSB)"));
  return desc;
}

Expected<MatrixLayout> create_layout(const std::shared_ptr<const CublasLtLibrary>& lib, cudaDataType_t type,
                                     std::uint64_t rows, std::uint64_t cols, std::int64_t ld) {
  cublasLtMatrixLayout_t raw = nullptr;
  TB_RETURN_IF_ERROR(check(*lib, lib->api().cublasLtMatrixLayoutCreate(&raw, type, rows, cols, ld),
                           "cublasLtMatrixLayoutCreate"));
  return MatrixLayout(lib, raw, lib->api().cublasLtMatrixLayoutDestroy);
}

Expected<MatmulPreference> create_preference(const std::shared_ptr<const CublasLtLibrary>& lib,
                                             std::size_t workspace_bytes) {
  const CublasLtApi& api = lib->api();
  cublasLtMatmulPreference_t raw = nullptr;
  TB_RETURN_IF_ERROR(check(*lib, api.cublasLtMatmulPreferenceCreate(&raw), "cublasLtMatmulPreferenceCreate"));
  MatmulPreference preference(lib, raw, api.cublasLtMatmulPreferenceDestroy);
  const std::uint64_t bytes = workspace_bytes;
  TB_RETURN_IF_ERROR(check(*lib,
                           api.cublasLtMatmulPreferenceSetAttribute(raw, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                                    &bytes, sizeof bytes),
                           "cublasLtMatmulPreferenceSetAttribute (MAX_WORKSPACE_BYTES)"));
  return preference;
}

}  // namespace tb::cuda
