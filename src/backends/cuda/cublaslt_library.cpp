#include "backends/cuda/cublaslt_library.h"

namespace tb::cuda {

namespace {

void resolve_cublaslt(SymbolResolver& resolver, CublasLtApi& api) {
#define TB_CUBLASLT_RESOLVE(name) resolver.resolve(api.name, #name);
  TB_CUBLASLT_ENTRY_POINTS(TB_CUBLASLT_RESOLVE)
#undef TB_CUBLASLT_RESOLVE
}

}  // namespace

Expected<std::shared_ptr<const CublasLtLibrary>> CublasLtLibrary::open(const std::string& path) {
  // RTLD_NODELETE: cuBLASLt allocates at load (its own C++ runtime's
  // exception pool) and keeps the pointer in its globals; unmapping the
  // library on dlclose would turn that into a leak under LeakSanitizer.
  TB_ASSIGN_OR_RETURN(BoundLibrary<CublasLtApi> bound,
                      BoundLibrary<CublasLtApi>::open(path, SharedLibrary::kDefaultFlags | RTLD_NODELETE, "cuBLASLt",
                                                      resolve_cublaslt));
  return std::shared_ptr<const CublasLtLibrary>(new CublasLtLibrary(std::move(bound)));
}

std::string CublasLtLibrary::loaded_from() const { return file_of(api().cublasLtCreate); }

std::string CublasLtLibrary::version() const {
  const std::size_t v = api().cublasLtGetVersion();  // major * 10000 + minor * 100 + patch
  return "cuBLASLt " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

Expected<std::shared_ptr<const CublasLtLibrary>> open_cublaslt(const std::vector<std::string>& names) {
  return open_first(cuda_library_candidates(names), CublasLtLibrary::open, "cuBLASLt",
                    cuda_library_hint("the CUDA toolkit's cuBLAS", "libcublasLt.so.13"));
}

Status check(const CublasLtLibrary& lib, cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return {};
  return run_failure(std::string(call) + " failed: " + lib.api().cublasLtGetStatusName(status) + " (" +
                     lib.api().cublasLtGetStatusString(status) + ")");
}

Expected<LtHandle> create_handle(const std::shared_ptr<const CublasLtLibrary>& lib) {
  cublasLtHandle_t handle = nullptr;
  TB_RETURN_IF_ERROR(check(*lib, lib->api().cublasLtCreate(&handle), "cublasLtCreate"));
  return LtHandle(handle, {lib, lib->api().cublasLtDestroy});
}

Expected<MatmulDesc> create_matmul_desc(const std::shared_ptr<const CublasLtLibrary>& lib, cublasComputeType_t compute,
                                        cublasOperation_t trans_a, cublasOperation_t trans_b) {
  const CublasLtApi& api = lib->api();
  cublasLtMatmulDesc_t raw = nullptr;
  TB_RETURN_IF_ERROR(check(*lib, api.cublasLtMatmulDescCreate(&raw, compute, CUDA_R_32F), "cublasLtMatmulDescCreate"));
  MatmulDesc desc(raw, {lib, api.cublasLtMatmulDescDestroy});
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
  return MatrixLayout(raw, {lib, lib->api().cublasLtMatrixLayoutDestroy});
}

Expected<MatmulPreference> create_preference(const std::shared_ptr<const CublasLtLibrary>& lib,
                                             std::size_t workspace_bytes) {
  const CublasLtApi& api = lib->api();
  cublasLtMatmulPreference_t raw = nullptr;
  TB_RETURN_IF_ERROR(check(*lib, api.cublasLtMatmulPreferenceCreate(&raw), "cublasLtMatmulPreferenceCreate"));
  MatmulPreference preference(raw, {lib, api.cublasLtMatmulPreferenceDestroy});
  const std::uint64_t bytes = workspace_bytes;
  TB_RETURN_IF_ERROR(check(*lib,
                           api.cublasLtMatmulPreferenceSetAttribute(raw, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                                    &bytes, sizeof bytes),
                           "cublasLtMatmulPreferenceSetAttribute (MAX_WORKSPACE_BYTES)"));
  return preference;
}

}  // namespace tb::cuda
