// The part of NCCL's API (libnccl.so.2) the CUDA backend uses, bound at run
// time (nccl_library.h) through the one table of entry points below. The
// types and prototypes are the real ones from the toolkit's <nccl.h>: each
// function-pointer type is decltype(&::name), so a signature can never drift
// from the header. Nothing here calls or links NCCL; decltype of a declared
// function needs no definition.
//
// To bind another entry point: add one line to TB_NCCL_ENTRY_POINTS (name,
// required or not). A library lacking a required entry point is rejected with
// its name; an optional one is left null when absent.
#pragma once

#include <nccl.h>

namespace tb::nccl {

// The entry points, one line each: X(name, required).
//   ncclGetVersion: the library's NCCL_VERSION_CODE (2.9 and later:
//     major * 10000 + minor * 100 + patch).
//   ncclCommInitAll: one communicator per device of this process (single
//     process, several GPUs).
//   ncclGetUniqueId, ncclCommInitRank: one process per GPU (MPI ranks):
//     rank 0 makes the id (128 B), every rank gets it over MPI and joins.
//   ncclCommGetAsyncError: errors of collectives already enqueued (checked
//     after every synchronize()).
#define TB_NCCL_ENTRY_POINTS(X)   \
  X(ncclGetVersion, true)         \
  X(ncclGetErrorString, true)     \
  X(ncclCommInitAll, true)        \
  X(ncclGetUniqueId, true)        \
  X(ncclCommInitRank, true)       \
  X(ncclCommDestroy, true)        \
  X(ncclCommGetAsyncError, true)  \
  X(ncclGroupStart, true)         \
  X(ncclGroupEnd, true)           \
  X(ncclAllReduce, true)

// Function-pointer types: ncclAllReduce_fn, ncclGroupEnd_fn, ...
#define TB_NCCL_DECLARE_FN_TYPE(name, required) using name##_fn = decltype(&::name);
TB_NCCL_ENTRY_POINTS(TB_NCCL_DECLARE_FN_TYPE)
#undef TB_NCCL_DECLARE_FN_TYPE

// The bound entry points; optional ones are null when the library lacks them.
struct NcclApi {
#define TB_NCCL_DECLARE_MEMBER(name, required) name##_fn name = nullptr;
  TB_NCCL_ENTRY_POINTS(TB_NCCL_DECLARE_MEMBER)
#undef TB_NCCL_DECLARE_MEMBER
};

}  // namespace tb::nccl
