// cuBLASLt bound at run time: dlopen of libcublasLt, every entry point of
// TB_CUBLASLT_ENTRY_POINTS (cublaslt_api.h) resolved into one table, and RAII
// owners for the library's handles. cuBLASLt is not linked, so the trainbench
// binary starts without it; a machine without it gets a kUnavailable error
// listing every place tried (docs/cuda.md#what-is-loaded-how).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backends/cuda/cublaslt_api.h"
#include "backends/cuda/cuda_library_search.h"
#include "common/error.h"
#include "common/shared_library.h"
#include "common/unique_handle.h"

namespace tb::cuda {

// Library file names tried in each place, in order: the versioned soname of
// the CUDA 13 toolkit, then the development symlink.
inline const std::vector<std::string>& default_cublaslt_names() {
  static const std::vector<std::string> names = {"libcublasLt.so.13", "libcublasLt.so"};
  return names;
}

// One loaded libcublasLt. Owns the dlopen handle (common/shared_library.h,
// opened RTLD_NODELETE, see open()); everything made through api() holds a
// shared_ptr to it. Not copyable.
class CublasLtLibrary : public BoundLibrary<CublasLtApi> {
 public:
  // dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) and every entry point. kUnavailable:
  // "cannot load '<path>': <dlerror>" or "'<path>' is not cuBLASLt: symbol <name> missing".
  static Expected<std::shared_ptr<const CublasLtLibrary>> open(const std::string& path);
  // The file the loader mapped (dladdr), e.g. "/usr/local/cuda/lib64/libcublasLt.so.13".
  std::string loaded_from() const;
  // "cuBLASLt 13.1.0" from cublasLtGetVersion().
  std::string version() const;

 private:
  explicit CublasLtLibrary(BoundLibrary<CublasLtApi> bound) : BoundLibrary(std::move(bound)) {}
};

// The first of cuda_library_candidates(names) (cuda_library_search.h) that
// loads (open_first of common/shared_library.h). kUnavailable
// "no usable cuBLASLt: tried [<source>] <why>; ...; install ..." naming every
// place tried and why it failed.
Expected<std::shared_ptr<const CublasLtLibrary>> open_cublaslt(
    const std::vector<std::string>& names = default_cublaslt_names());

// Ok for CUBLAS_STATUS_SUCCESS; otherwise kRunFailure "<call> failed:
// CUBLAS_STATUS_NOT_SUPPORTED (the functionality requested is not supported)".
Status check(const CublasLtLibrary& lib, cublasStatus_t status, const char* call);

// Owner of one cuBLASLt object, destroyed through the library's table (which
// it keeps mapped). Move-only (common/unique_handle.h).
template <typename Handle>
using LtObject = UniqueHandle<Handle, LibraryDeleter<CublasLtLibrary, cublasStatus_t (*)(Handle)>>;

using LtHandle = LtObject<cublasLtHandle_t>;
using MatmulDesc = LtObject<cublasLtMatmulDesc_t>;
using MatrixLayout = LtObject<cublasLtMatrixLayout_t>;
using MatmulPreference = LtObject<cublasLtMatmulPreference_t>;

Expected<LtHandle> create_handle(const std::shared_ptr<const CublasLtLibrary>& lib);
// A matmul descriptor with `compute` (e.g. CUBLAS_COMPUTE_32F), scale type
// CUDA_R_32F and the operand transposes.
Expected<MatmulDesc> create_matmul_desc(const std::shared_ptr<const CublasLtLibrary>& lib, cublasComputeType_t compute,
                                        cublasOperation_t trans_a, cublasOperation_t trans_b);
// A column-major layout of a `rows` x `cols` matrix of `type` with leading dimension `ld` (elements).
Expected<MatrixLayout> create_layout(const std::shared_ptr<const CublasLtLibrary>& lib, cudaDataType_t type,
                                     std::uint64_t rows, std::uint64_t cols, std::int64_t ld);
// A preference allowing at most `workspace_bytes` of workspace (B).
Expected<MatmulPreference> create_preference(const std::shared_ptr<const CublasLtLibrary>& lib,
                                             std::size_t workspace_bytes);

}  // namespace tb::cuda
