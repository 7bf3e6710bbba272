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
#include <iterator>
#include <string_view>

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

// Element types, with the header's codes (not the old API guide's sequential
// enum): X(NAME without "NRT_DTYPE_", code, the name we print).
#define TB_NRT_DTYPES(X) \
  X(UNKNOWN, 0x0, "unknown") \
  X(UINT64, 0x1, "uint64")   \
  X(INT8, 0x2, "int8")       \
  X(UINT8, 0x3, "uint8")     \
  X(INT16, 0x4, "int16")     \
  X(UINT16, 0x5, "uint16")   \
  X(BFLOAT16, 0x6, "bf16")   \
  X(FLOAT16, 0x7, "fp16")    \
  X(INT32, 0x8, "int32")     \
  X(UINT32, 0x9, "uint32")   \
  X(FLOAT32, 0xA, "fp32")    \
  X(FP32R, 0xB, "fp32r")     \
  X(INT64, 0xC, "int64")     \
  X(FP8_E3, 0xD, "fp8_e3")   \
  X(FP8_E4, 0xE, "fp8_e4")   \
  X(FP8_E5, 0xF, "fp8_e5")

enum nrt_dtype_t : int {
#define TB_NRT_DTYPE_ENUMERATOR(name, code, text) NRT_DTYPE_##name = code,
  TB_NRT_DTYPES(TB_NRT_DTYPE_ENUMERATOR)
#undef TB_NRT_DTYPE_ENUMERATOR
};

// Status of every NRT call (nrt_status.h): X(NAME without "NRT_", code). 0 is
// success; anything else is an error, including codes newer than this list
// (status_name() says "UNKNOWN").
//   INVALID: invalid NEFF, bad instruction, tensor name/size not matching the model, ...
//   RESOURCE: a resource (e.g. device memory) could not be allocated
//   UNINITIALIZED / CLOSED: called before nrt_init / after nrt_close
//   EXEC_COMPLETED_WITH_NUM_ERR: completed, but produced NaN/Inf
//   EXEC_NC_BUSY: the NeuronCore is in use by another model or process
#define TB_NRT_STATUS_CODES(X)            \
  X(SUCCESS, 0)                           \
  X(FAILURE, 1)                           \
  X(INVALID, 2)                           \
  X(INVALID_HANDLE, 3)                    \
  X(RESOURCE, 4)                          \
  X(TIMEOUT, 5)                           \
  X(HW_ERROR, 6)                          \
  X(QUEUE_FULL, 7)                        \
  X(LOAD_NOT_ENOUGH_NC, 9)                \
  X(UNSUPPORTED_NEFF_VERSION, 10)         \
  X(FAIL_HOST_MEM_ALLOC, 11)              \
  X(UNINITIALIZED, 13)                    \
  X(CLOSED, 14)                           \
  X(QUEUE_EMPTY, 15)                      \
  X(EXEC_UNIT_UNRECOVERABLE, 101)         \
  X(EXEC_BAD_INPUT, 1002)                 \
  X(EXEC_COMPLETED_WITH_NUM_ERR, 1003)    \
  X(EXEC_COMPLETED_WITH_ERR, 1004)        \
  X(EXEC_NC_BUSY, 1005)                   \
  X(EXEC_OOB, 1006)                       \
  X(COLL_PENDING, 1100)                   \
  X(EXEC_HW_ERR_COLLECTIVES, 1200)        \
  X(EXEC_HW_ERR_HBM_UE, 1201)             \
  X(EXEC_HW_ERR_NC_UE, 1202)              \
  X(EXEC_HW_ERR_DMA_ABORT, 1203)          \
  X(EXEC_SW_NQ_OVERFLOW, 1204)            \
  X(EXEC_HW_ERR_REPAIRABLE_HBM_UE, 1205)  \
  X(NETWORK_PROXY_FAILURE, 1206)

enum NRT_STATUS : int {
#define TB_NRT_STATUS_ENUMERATOR(name, code) NRT_##name = code,
  TB_NRT_STATUS_CODES(TB_NRT_STATUS_ENUMERATOR)
#undef TB_NRT_STATUS_ENUMERATOR
};

// The documented name of a status without the "NRT_" prefix
// ("UNSUPPORTED_NEFF_VERSION"), or "UNKNOWN" for a code not listed above.
// Callers print "NAME (number)" so that unknown codes keep their number.
inline const char* status_name(int status) {
  switch (status) {
#define TB_NRT_STATUS_CASE(name, code) \
  case code:                           \
    return #name;
    TB_NRT_STATUS_CODES(TB_NRT_STATUS_CASE)
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

// Filled by nrt_get_instance_info (nrt.h); pass sizeof(nrt_instance_info_t).
// family and size are codes of the header's NRT_INSTANCE_* and
// NRT_INSTANCE_SIZE_* enums (instance_family_name / instance_size_name below).
struct nrt_instance_info_t {
  std::uint32_t family;
  std::uint32_t size;
  char arch_name[16];
  char device_revision[8];
};

// The header's instance families, by code: X(NAME without "NRT_INSTANCE_",
// code, EC2 family name). New families are appended by AWS, never renumbered.
#define TB_NRT_INSTANCE_FAMILIES(X) \
  X(UNKNOWN, 0, "")                 \
  X(INF1, 1, "inf1")                \
  X(TRN1, 2, "trn1")                \
  X(TRN1N, 3, "trn1n")              \
  X(INF2, 4, "inf2")                \
  X(TRN2, 5, "trn2")                \
  X(TRN2N, 6, "trn2n")              \
  X(INF2E, 7, "inf2e")              \
  X(TRN2P, 8, "trn2p")              \
  X(TRN2U, 9, "trn2u")              \
  X(TRN2E, 10, "trn2e")             \
  X(TRN2EU, 11, "trn2eu")           \
  X(TRN2AC, 12, "trn2ac")           \
  X(TRN2UAC, 13, "trn2uac")         \
  X(TRN3, 14, "trn3")               \
  X(TRN3PDS98, 15, "trn3pds98")

// The header's instance sizes, by code (in the header's order, which is not by
// size: 3XL was appended last): X(NAME without "NRT_INSTANCE_SIZE_", code, EC2 size).
#define TB_NRT_INSTANCE_SIZES(X) \
  X(1XL, 0, "xlarge")            \
  X(2XL, 1, "2xlarge")           \
  X(4XL, 2, "4xlarge")           \
  X(6XL, 3, "6xlarge")           \
  X(8XL, 4, "8xlarge")           \
  X(24XL, 5, "24xlarge")         \
  X(32XL, 6, "32xlarge")         \
  X(48XL, 7, "48xlarge")         \
  X(3XL, 8, "3xlarge")           \
  X(UNKNOWN, 9, "")

// The EC2 names of the family and size codes, indexed by code (both lists
// number their entries 0, 1, 2, ..., which the static_asserts below hold).
#define TB_NRT_TEXT_OF(name, code, text) text,
inline constexpr const char* kInstanceFamilyNames[] = {TB_NRT_INSTANCE_FAMILIES(TB_NRT_TEXT_OF)};
inline constexpr const char* kInstanceSizeNames[] = {TB_NRT_INSTANCE_SIZES(TB_NRT_TEXT_OF)};
#undef TB_NRT_TEXT_OF
#define TB_NRT_CODE_IS_INDEX(list, name, code, text) \
  static_assert(std::string_view(list[code]) == std::string_view(text), #name " is not at index " #code);
#define TB_NRT_FAMILY_AT(name, code, text) TB_NRT_CODE_IS_INDEX(kInstanceFamilyNames, name, code, text)
#define TB_NRT_SIZE_AT(name, code, text) TB_NRT_CODE_IS_INDEX(kInstanceSizeNames, name, code, text)
TB_NRT_INSTANCE_FAMILIES(TB_NRT_FAMILY_AT)
TB_NRT_INSTANCE_SIZES(TB_NRT_SIZE_AT)
#undef TB_NRT_FAMILY_AT
#undef TB_NRT_SIZE_AT
#undef TB_NRT_CODE_IS_INDEX

// The EC2 name of a family or size code ("trn1", "32xlarge"); "" for UNKNOWN
// and for codes newer than the lists above.
inline const char* instance_family_name(std::uint32_t code) {
  return code < std::size(kInstanceFamilyNames) ? kInstanceFamilyNames[code] : "";
}
inline const char* instance_size_name(std::uint32_t code) {
  return code < std::size(kInstanceSizeNames) ? kInstanceSizeNames[code] : "";
}

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
//   nrt_get_instance_info: in the SDK 2.28 nrt.h (optional: a runtime without
//     it, or one that fails, leaves the instance type to DMI).
//   Every count and nrt_get_version may be called before nrt_init (nrt.h).
#define TB_NRT_ENTRY_POINTS(X)                                                                                       \
  X(nrt_init, NRT_STATUS, (nrt_framework_type_t framework, const char* fw_version, const char* fal_version), true)    \
  X(nrt_close, void, (void), true)                                                                                   \
  X(nrt_get_version, NRT_STATUS, (nrt_version_t* ver, std::size_t size), true)                                      \
  X(nrt_get_instance_info, NRT_STATUS, (nrt_instance_info_t* info, std::size_t instance_info_len), false)            \
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
