// The cuDNN entry points the CUDA backend uses, bound at run time
// (cudnn_library.h): the handle, the error strings and the backend (graph)
// API, nothing of the legacy per-operation API. cudnn_graph.h is included for
// its types only; each function's exact type is taken with decltype, and
// nothing here links against libcudnn.
//
// To bind another entry point: add one line X(name) to TB_CUDNN_ENTRY_POINTS.
#pragma once

#include <cudnn_graph.h>

namespace tb::cuda {

#define TB_CUDNN_ENTRY_POINTS(X)     \
  X(cudnnGetVersion)                 \
  X(cudnnGetErrorString)             \
  X(cudnnGetLastErrorString)         \
  X(cudnnCreate)                     \
  X(cudnnDestroy)                    \
  X(cudnnSetStream)                  \
  X(cudnnBackendCreateDescriptor)    \
  X(cudnnBackendDestroyDescriptor)   \
  X(cudnnBackendSetAttribute)        \
  X(cudnnBackendGetAttribute)        \
  X(cudnnBackendFinalize)            \
  X(cudnnBackendExecute)

// The bound entry points, each with the header's exact type; all are required.
struct CudnnApi {
#define TB_CUDNN_DECLARE_MEMBER(name) decltype(&::name) name = nullptr;
  TB_CUDNN_ENTRY_POINTS(TB_CUDNN_DECLARE_MEMBER)
#undef TB_CUDNN_DECLARE_MEMBER
};

}  // namespace tb::cuda
