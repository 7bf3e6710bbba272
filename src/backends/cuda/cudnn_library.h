// cuDNN bound at run time: dlopen of libcudnn (9.x), every entry point of
// TB_CUDNN_ENTRY_POINTS (cudnn_api.h) resolved into one table, and the RAII
// owner of a cuDNN handle. cuDNN is not linked, so trainbench starts without
// it; a machine without it runs attention on our own kernels and says why
// (docs/cuda.md#attention).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backends/cuda/cudnn_api.h"
#include "common/error.h"
#include "common/shared_library.h"
#include "common/unique_handle.h"

namespace tb::cuda {

// Library file names tried in each place, in order.
inline const std::vector<std::string>& default_cudnn_names() {
  static const std::vector<std::string> names = {"libcudnn.so.9", "libcudnn.so"};
  return names;
}

// One loaded libcudnn. Owns the dlopen handle (common/shared_library.h,
// RTLD_NODELETE as for cuBLASLt); everything made through api() holds a
// shared_ptr to it. Not copyable.
class CudnnLibrary : public BoundLibrary<CudnnApi> {
 public:
  // dlopen(path) and every entry point; kUnavailable "cannot load '<path>':
  // <dlerror>", "'<path>' is not cuDNN: symbol <name> missing", or
  // "'<path>' is cuDNN <v>: the backend needs cuDNN 9 or newer".
  static Expected<std::shared_ptr<const CudnnLibrary>> open(const std::string& path);
  std::string loaded_from() const;  // the file the loader mapped (dladdr)
  std::string version() const;      // "cuDNN 9.19.0" from cudnnGetVersion()

 private:
  explicit CudnnLibrary(BoundLibrary<CudnnApi> bound) : BoundLibrary(std::move(bound)) {}
};

// The first of cuda_library_candidates(names) (cuda_library_search.h:
// TRAINBENCH_CUDA_LIB_DIR, the loader's path, $CUDA_HOME/lib64,
// /usr/local/cuda/lib64) that loads. kUnavailable "no usable cuDNN: tried
// [<source>] <why>; ...; install ..." naming every place tried.
Expected<std::shared_ptr<const CudnnLibrary>> open_cudnn(const std::vector<std::string>& names = default_cudnn_names());

// open_cudnn() once per process, kept for the rest of it (success or failure).
const Expected<std::shared_ptr<const CudnnLibrary>>& default_cudnn();

// Ok for CUDNN_STATUS_SUCCESS; otherwise kRunFailure "<call> failed:
// CUDNN_STATUS_NOT_SUPPORTED: <cuDNN's last error message, when it has one>".
Status check(const CudnnLibrary& lib, cudnnStatus_t status, const std::string& call);

// A cuDNN handle on the current device (cudnnCreate / cudnnDestroy), keeping
// its library mapped. Move-only (common/unique_handle.h).
using CudnnHandle = UniqueHandle<cudnnHandle_t, LibraryDeleter<CudnnLibrary, cudnnStatus_t (*)(cudnnHandle_t)>>;
Expected<CudnnHandle> create_cudnn_handle(std::shared_ptr<const CudnnLibrary> lib);

}  // namespace tb::cuda
