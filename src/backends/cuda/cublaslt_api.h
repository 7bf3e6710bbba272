// The cuBLASLt entry points the CUDA backend uses, bound at run time
// (cublaslt_library.h): one line per function. cublasLt.h is included for its
// types only (handles, enums, structs) and to take each function's exact type
// with decltype; nothing here links against libcublasLt.
//
// To bind another entry point: add one line X(name) to TB_CUBLASLT_ENTRY_POINTS.
#pragma once

#include <cublasLt.h>

namespace tb::cuda {

#define TB_CUBLASLT_ENTRY_POINTS(X)       \
  X(cublasLtGetVersion)                   \
  X(cublasLtGetStatusName)                \
  X(cublasLtGetStatusString)              \
  X(cublasLtCreate)                       \
  X(cublasLtDestroy)                      \
  X(cublasLtMatmulDescCreate)             \
  X(cublasLtMatmulDescDestroy)            \
  X(cublasLtMatmulDescSetAttribute)       \
  X(cublasLtMatrixLayoutCreate)           \
  X(cublasLtMatrixLayoutDestroy)          \
  X(cublasLtMatmulPreferenceCreate)       \
  X(cublasLtMatmulPreferenceDestroy)      \
  X(cublasLtMatmulPreferenceSetAttribute) \
  X(cublasLtMatmulAlgoGetHeuristic)       \
  X(cublasLtMatmulAlgoConfigGetAttribute) \
  X(cublasLtMatmul)

// The bound entry points, each with the header's exact type; all are required.
struct CublasLtApi {
#define TB_CUBLASLT_DECLARE_MEMBER(name) decltype(&::name) name = nullptr;
  TB_CUBLASLT_ENTRY_POINTS(TB_CUBLASLT_DECLARE_MEMBER)
#undef TB_CUBLASLT_DECLARE_MEMBER
};

}  // namespace tb::cuda
