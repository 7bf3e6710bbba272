// The part of the AWS Neuron runtime API (libnrt.so.1) the Neuron adapter
// uses, declared by us with the values of AWS's public headers
// (src/libnrt/include/nrt/{nrt.h,nrt_status.h,nrt_experimental.h}; summary in
// docs/neuron.md). No Neuron header is needed to
// build: the library is bound at run time (nrt_library.h), through the one
// table of entry points below.
//
// Everything here is plain C layout (enums are int-sized like the C enums,
// structs are standard-layout), so the function-pointer types match the C
// entry points. Names are the documented ones, inside namespace tb::nrt so
// that they cannot clash with a real <nrt/nrt.h> included elsewhere.
//
// To bind another entry point: add one line to TB_NRT_ENTRY_POINTS (name,
// return type, parameter list exactly as in the header, required or not).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tb::nrt {

// Where a tensor lives. HOST is deprecated by AWS (at most 4 MB).
enum nrt_tensor_placement_t : int {
  NRT_TENSOR_PLACEMENT_DEVICE = 0,
  NRT_TENSOR_PLACEMENT_HOST = 1,
  NRT_TENSOR_PLACEMENT_VIRTUAL = 2,
};

// The framework calling nrt_init; a C/C++ program passes NO_FW.
enum nrt_framework_type_t : int {
  NRT_FRAMEWORK_TYPE_INVALID = 0,
  NRT_FRAMEWORK_TYPE_NO_FW = 1,
  NRT_FRAMEWORK_TYPE_TENSORFLOW = 2,
  NRT_FRAMEWORK_TYPE_PYTORCH = 3,
  NRT_FRAMEWORK_TYPE_MXNET = 4,
  NRT_FRAMEWORK_TYPE_PRECHECK = 5,
};

// Element types, with the header's codes (not the old API guide's sequential enum).
enum nrt_dtype_t : int {
  NRT_DTYPE_UNKNOWN = 0x0,
  NRT_DTYPE_UINT64 = 0x1,
  NRT_DTYPE_INT8 = 0x2,
  NRT_DTYPE_UINT8 = 0x3,
  NRT_DTYPE_INT16 = 0x4,
  NRT_DTYPE_UINT16 = 0x5,
  NRT_DTYPE_BFLOAT16 = 0x6,
  NRT_DTYPE_FLOAT16 = 0x7,
  NRT_DTYPE_INT32 = 0x8,
  NRT_DTYPE_UINT32 = 0x9,
  NRT_DTYPE_FLOAT32 = 0xA,
  NRT_DTYPE_FP32R = 0xB,
  NRT_DTYPE_INT64 = 0xC,
  NRT_DTYPE_FP8_E3 = 0xD,
  NRT_DTYPE_FP8_E4 = 0xE,
  NRT_DTYPE_FP8_E5 = 0xF,
};

// Status of every NRT call (nrt_status.h). 0 is success; anything else is an
// error, including codes newer than this list (status_name() says "UNKNOWN").
enum NRT_STATUS : int {
  NRT_SUCCESS = 0,
  NRT_FAILURE = 1,
  NRT_INVALID = 2,  // invalid NEFF, bad instruction, tensor name/size not matching the model, ...
  NRT_INVALID_HANDLE = 3,
  NRT_RESOURCE = 4,  // a resource (e.g. device memory) could not be allocated
  NRT_TIMEOUT = 5,
  NRT_HW_ERROR = 6,
  NRT_QUEUE_FULL = 7,
  NRT_LOAD_NOT_ENOUGH_NC = 9,
  NRT_UNSUPPORTED_NEFF_VERSION = 10,
  NRT_FAIL_HOST_MEM_ALLOC = 11,
  NRT_UNINITIALIZED = 13,  // called before nrt_init
  NRT_CLOSED = 14,         // called after nrt_close
  NRT_QUEUE_EMPTY = 15,
  NRT_EXEC_UNIT_UNRECOVERABLE = 101,
  NRT_EXEC_BAD_INPUT = 1002,
  NRT_EXEC_COMPLETED_WITH_NUM_ERR = 1003,  // completed, but produced NaN/Inf
  NRT_EXEC_COMPLETED_WITH_ERR = 1004,
  NRT_EXEC_NC_BUSY = 1005,  // the NeuronCore is in use by another model or process
  NRT_EXEC_OOB = 1006,
  NRT_COLL_PENDING = 1100,
  NRT_EXEC_HW_ERR_COLLECTIVES = 1200,
  NRT_EXEC_HW_ERR_HBM_UE = 1201,
  NRT_EXEC_HW_ERR_NC_UE = 1202,
  NRT_EXEC_HW_ERR_DMA_ABORT = 1203,
  NRT_EXEC_SW_NQ_OVERFLOW = 1204,
  NRT_EXEC_HW_ERR_REPAIRABLE_HBM_UE = 1205,
  NRT_NETWORK_PROXY_FAILURE = 1206,
};

// The documented name of a status without the "NRT_" prefix
// ("UNSUPPORTED_NEFF_VERSION"), or "UNKNOWN" for a code not listed above.
// Callers print "NAME (number)" so that unknown codes keep their number.
inline const char* status_name(int status) {
  switch (status) {
#define TB_NRT_STATUS_CASE(code) \
  case NRT_##code:               \
    return #code;
    TB_NRT_STATUS_CASE(SUCCESS)
    TB_NRT_STATUS_CASE(FAILURE)
    TB_NRT_STATUS_CASE(INVALID)
    TB_NRT_STATUS_CASE(INVALID_HANDLE)
    TB_NRT_STATUS_CASE(RESOURCE)
    TB_NRT_STATUS_CASE(TIMEOUT)
    TB_NRT_STATUS_CASE(HW_ERROR)
    TB_NRT_STATUS_CASE(QUEUE_FULL)
    TB_NRT_STATUS_CASE(LOAD_NOT_ENOUGH_NC)
    TB_NRT_STATUS_CASE(UNSUPPORTED_NEFF_VERSION)
    TB_NRT_STATUS_CASE(FAIL_HOST_MEM_ALLOC)
    TB_NRT_STATUS_CASE(UNINITIALIZED)
    TB_NRT_STATUS_CASE(CLOSED)
    TB_NRT_STATUS_CASE(QUEUE_EMPTY)
    TB_NRT_STATUS_CASE(EXEC_UNIT_UNRECOVERABLE)
    TB_NRT_STATUS_CASE(EXEC_BAD_INPUT)
    TB_NRT_STATUS_CASE(EXEC_COMPLETED_WITH_NUM_ERR)
    TB_NRT_STATUS_CASE(EXEC_COMPLETED_WITH_ERR)
    TB_NRT_STATUS_CASE(EXEC_NC_BUSY)
    TB_NRT_STATUS_CASE(EXEC_OOB)
    TB_NRT_STATUS_CASE(COLL_PENDING)
    TB_NRT_STATUS_CASE(EXEC_HW_ERR_COLLECTIVES)
    TB_NRT_STATUS_CASE(EXEC_HW_ERR_HBM_UE)
    TB_NRT_STATUS_CASE(EXEC_HW_ERR_NC_UE)
    TB_NRT_STATUS_CASE(EXEC_HW_ERR_DMA_ABORT)
    TB_NRT_STATUS_CASE(EXEC_SW_NQ_OVERFLOW)
    TB_NRT_STATUS_CASE(EXEC_HW_ERR_REPAIRABLE_HBM_UE)
    TB_NRT_STATUS_CASE(NETWORK_PROXY_FAILURE)
#undef TB_NRT_STATUS_CASE
  }
  return "UNKNOWN";
}

// Filled by nrt_get_version; pass sizeof(nrt_version_t) as `size`.
struct nrt_version_t {
  std::uint64_t rt_major;
  std::uint64_t rt_minor;
  std::uint64_t rt_patch;
  std::uint64_t rt_maintenance;
  char rt_detail[128];
  char git_hash[64];
};

// Opaque handles, owned by the runtime. A tensor set is a plain void.
struct nrt_model_t;
struct nrt_tensor_t;
using nrt_tensor_set_t = void;

// nrt_experimental.h (marked by AWS as subject to change).
enum nrt_tensor_usage_t : int {
  NRT_TENSOR_USAGE_INPUT = 0,
  NRT_TENSOR_USAGE_OUTPUT = 1,
};

struct nrt_tensor_info_t {
  char name[256];  // NUL-terminated
  nrt_tensor_usage_t usage;
  std::size_t size;  // bytes
  nrt_dtype_t dtype;
  std::uint32_t* shape;  // ndim extents, outermost first
  std::uint32_t ndim;
};

// A C flexible array: tensor_array holds tensor_count entries. Only the
// runtime allocates it (nrt_get_model_tensor_info) and frees it
// (nrt_free_model_tensor_info).
struct nrt_tensor_info_array_t {
  std::uint64_t tensor_count;
  nrt_tensor_info_t tensor_array[];
};

// The entry points, one line each: X(name, return type, (parameters), required).
// A runtime lacking a required entry point is rejected with that name
// (nrt_library.h); an optional one is left null when absent.
//   nrt_close: the header's `void` (older docs say NRT_STATUS).
//   nrt_tensor_free / nrt_destroy_tensor_set: null the pointer they are given.
//   nrt_*_nc_count: deprecated aliases of nrt_*_vnc_count (newer runtimes);
//     a runtime needs one of the two visible-count functions (checked at open).
//   nrt_execute_repeat: chains outputs into inputs; needs a NEFF compiled for
//     it, so it is not a timing loop (bound for completeness, unused).
//   nrt_load_collectives: for NEFFs with collective operations (unused so far).
#define TB_NRT_ENTRY_POINTS(X)                                                                                       \
  X(nrt_init, NRT_STATUS, (nrt_framework_type_t framework, const char* fw_version, const char* fal_version), true)    \
  X(nrt_close, void, (void), true)                                                                                   \
  X(nrt_get_version, NRT_STATUS, (nrt_version_t* ver, std::size_t size), true)                                      \
  X(nrt_get_total_nc_count, NRT_STATUS, (std::uint32_t* count), false)                                              \
  X(nrt_get_visible_nc_count, NRT_STATUS, (std::uint32_t* count), false)                                            \
  X(nrt_get_total_vnc_count, NRT_STATUS, (std::uint32_t* count), false)                                             \
  X(nrt_get_visible_vnc_count, NRT_STATUS, (std::uint32_t* count), false)                                           \
  X(nrt_load, NRT_STATUS,                                                                                            \
    (const void* neff_bytes, std::size_t size, std::int32_t vnc, std::int32_t vnc_count, nrt_model_t** model), true) \
  X(nrt_load_collectives, NRT_STATUS,                                                                                \
    (const void* neff_bytes, std::size_t size, std::int32_t vnc, std::int32_t vnc_count,                             \
     std::uint32_t ctx_device_id, std::uint32_t ctx_device_count, nrt_model_t** model),                              \
    false)                                                                                                           \
  X(nrt_unload, NRT_STATUS, (nrt_model_t* model), true)                                                             \
  X(nrt_tensor_allocate, NRT_STATUS,                                                                                 \
    (nrt_tensor_placement_t placement, int vnc, std::size_t size, const char* name, nrt_tensor_t** tensor), true)    \
  X(nrt_tensor_free, void, (nrt_tensor_t** tensor), true)                                                           \
  X(nrt_tensor_write, NRT_STATUS, (nrt_tensor_t* tensor, const void* buf, std::size_t offset, std::size_t size),    \
    true)                                                                                                            \
  X(nrt_tensor_read, NRT_STATUS, (const nrt_tensor_t* tensor, void* buf, std::size_t offset, std::size_t size),      \
    true)                                                                                                            \
  X(nrt_tensor_get_size, std::size_t, (const nrt_tensor_t* tensor), true)                                            \
  X(nrt_allocate_tensor_set, NRT_STATUS, (nrt_tensor_set_t** result), true)                                         \
  X(nrt_destroy_tensor_set, void, (nrt_tensor_set_t** set), true)                                                   \
  X(nrt_add_tensor_to_tensor_set, NRT_STATUS, (nrt_tensor_set_t* set, const char* name, nrt_tensor_t* tensor),      \
    true)                                                                                                            \
  X(nrt_execute, NRT_STATUS, (nrt_model_t* model, const nrt_tensor_set_t* inputs, nrt_tensor_set_t* outputs),       \
    true)                                                                                                            \
  X(nrt_execute_repeat, NRT_STATUS,                                                                                  \
    (nrt_model_t* model, const nrt_tensor_set_t* inputs, nrt_tensor_set_t* outputs, int repeat_count), false)       \
  X(nrt_get_model_tensor_info, NRT_STATUS, (nrt_model_t* model, nrt_tensor_info_array_t** info), true)             \
  X(nrt_free_model_tensor_info, NRT_STATUS, (nrt_tensor_info_array_t* info), true)                                  \
  X(nrt_get_status_as_str, const char*, (NRT_STATUS status), false)

// Function-pointer types: nrt_load_fn, nrt_execute_fn, ...
#define TB_NRT_DECLARE_FN_TYPE(name, ret, params, required) using name##_fn = ret(*) params;
TB_NRT_ENTRY_POINTS(TB_NRT_DECLARE_FN_TYPE)
#undef TB_NRT_DECLARE_FN_TYPE

// The bound entry points; optional ones are null when the runtime lacks them.
struct NrtApi {
#define TB_NRT_DECLARE_MEMBER(name, ret, params, required) name##_fn name = nullptr;
  TB_NRT_ENTRY_POINTS(TB_NRT_DECLARE_MEMBER)
#undef TB_NRT_DECLARE_MEMBER
};

}  // namespace tb::nrt
