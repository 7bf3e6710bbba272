// Compiles only when the Neuron adapter's declarations of the runtime's C API
// (src/backends/neuron/nrt_api.h) agree with a set of C declarations:
//   - by default, the fake runtime's own (tests/fake_nrt/nrt_c_api.h), so the
//     adapter and the fake it is tested against cannot drift apart unnoticed;
//   - with TB_NRT_ABI_REAL_HEADERS, AWS's headers of an installed Neuron SDK
//     (<nrt/nrt.h>, <nrt/nrt_experimental.h>, <nrt/nrt_version.h>, from
//     /opt/aws/neuron/include or the folder given to scripts/check-neuron-abi.sh).
// What is compared, at compile time:
//   - every entry point of TB_NRT_ENTRY_POINTS: its function type, with our
//     types mapped to theirs, must be exactly the type of the C declaration;
//   - every struct the adapter passes: size, alignment and each field's offset;
//   - every enumerator the adapter declares (statuses, dtypes, placements,
//     framework types, tensor usage, instance families and sizes): its value.
// Nothing runs: the object file is linked into unit_tests only so that the
// build fails when a check fails.
#include <cstddef>
#include <type_traits>

#include "backends/neuron/nrt_api.h"

#ifdef TB_NRT_ABI_REAL_HEADERS
#include <nrt/nrt.h>
#include <nrt/nrt_experimental.h>
#include <nrt/nrt_status.h>
#include <nrt/nrt_version.h>
#else
#include "fake_nrt/nrt_c_api.h"
#endif

namespace {

namespace ours = tb::nrt;

// Our type -> the C declarations' type. Scalars map to themselves.
template <class T>
struct CType {
  using type = T;
};
template <class T>
using c_type_t = typename CType<T>::type;
template <class T>
struct CType<T*> {
  using type = c_type_t<T>*;
};
template <class T>
struct CType<const T> {
  using type = const c_type_t<T>;
};
template <class R, class... A>
struct CType<R (*)(A...)> {
  using type = c_type_t<R> (*)(c_type_t<A>...);
};
#define TB_ABI_MAP(name)     \
  template <>                \
  struct CType<ours::name> { \
    using type = ::name;     \
  };
TB_ABI_MAP(NRT_STATUS)
TB_ABI_MAP(nrt_framework_type_t)
TB_ABI_MAP(nrt_tensor_placement_t)
TB_ABI_MAP(nrt_dtype_t)
TB_ABI_MAP(nrt_tensor_usage_t)
TB_ABI_MAP(nrt_version_t)
TB_ABI_MAP(nrt_instance_info_t)
TB_ABI_MAP(nrt_model_t)
TB_ABI_MAP(nrt_tensor_t)
TB_ABI_MAP(nrt_tensor_info_t)
TB_ABI_MAP(nrt_tensor_info_array_t)
#undef TB_ABI_MAP

// Entry points: our function-pointer type, mapped, is the C function's.
#define TB_ABI_ENTRY_POINT(name, ret, params, required)                          \
  static_assert(std::is_same_v<c_type_t<ours::name##_fn>, decltype(&::name)>, \
                "entry point " #name ": our declaration (nrt_api.h) differs from the C declaration");
TB_NRT_ENTRY_POINTS(TB_ABI_ENTRY_POINT)
#undef TB_ABI_ENTRY_POINT

// Enumerations: same size, and every value we use is theirs.
template <class A, class B>
constexpr bool same_enum_size = sizeof(A) == sizeof(B) && alignof(A) == alignof(B);
static_assert(same_enum_size<ours::NRT_STATUS, ::NRT_STATUS>, "NRT_STATUS size");
static_assert(same_enum_size<ours::nrt_dtype_t, ::nrt_dtype_t>, "nrt_dtype_t size");
static_assert(same_enum_size<ours::nrt_tensor_placement_t, ::nrt_tensor_placement_t>, "placement size");
static_assert(same_enum_size<ours::nrt_framework_type_t, ::nrt_framework_type_t>, "framework type size");
static_assert(same_enum_size<ours::nrt_tensor_usage_t, ::nrt_tensor_usage_t>, "tensor usage size");

#define TB_ABI_SAME_VALUE(ourname, theirname) \
  static_assert(static_cast<long long>(ours::ourname) == static_cast<long long>(::theirname), #theirname);
#define TB_ABI_STATUS(name, code) TB_ABI_SAME_VALUE(NRT_##name, NRT_##name)
TB_NRT_STATUS_CODES(TB_ABI_STATUS)
#undef TB_ABI_STATUS
#define TB_ABI_DTYPE(name, code, text) TB_ABI_SAME_VALUE(NRT_DTYPE_##name, NRT_DTYPE_##name)
TB_NRT_DTYPES(TB_ABI_DTYPE)
#undef TB_ABI_DTYPE
TB_ABI_SAME_VALUE(NRT_TENSOR_PLACEMENT_DEVICE, NRT_TENSOR_PLACEMENT_DEVICE)
TB_ABI_SAME_VALUE(NRT_TENSOR_PLACEMENT_HOST, NRT_TENSOR_PLACEMENT_HOST)
TB_ABI_SAME_VALUE(NRT_TENSOR_PLACEMENT_VIRTUAL, NRT_TENSOR_PLACEMENT_VIRTUAL)
TB_ABI_SAME_VALUE(NRT_FRAMEWORK_TYPE_INVALID, NRT_FRAMEWORK_TYPE_INVALID)
TB_ABI_SAME_VALUE(NRT_FRAMEWORK_TYPE_NO_FW, NRT_FRAMEWORK_TYPE_NO_FW)
TB_ABI_SAME_VALUE(NRT_FRAMEWORK_TYPE_PRECHECK, NRT_FRAMEWORK_TYPE_PRECHECK)
TB_ABI_SAME_VALUE(NRT_TENSOR_USAGE_INPUT, NRT_TENSOR_USAGE_INPUT)
TB_ABI_SAME_VALUE(NRT_TENSOR_USAGE_OUTPUT, NRT_TENSOR_USAGE_OUTPUT)
#undef TB_ABI_SAME_VALUE
// Instance families and sizes: our tables hold plain codes (the header's enums are anonymous).
#define TB_ABI_FAMILY(name, code, text) static_assert(code == NRT_INSTANCE_##name, "NRT_INSTANCE_" #name);
TB_NRT_INSTANCE_FAMILIES(TB_ABI_FAMILY)
#undef TB_ABI_FAMILY
#define TB_ABI_SIZE(name, code, text) static_assert(code == NRT_INSTANCE_SIZE_##name, "NRT_INSTANCE_SIZE_" #name);
TB_NRT_INSTANCE_SIZES(TB_ABI_SIZE)
#undef TB_ABI_SIZE

// Structs: size, alignment, and each field's offset and size.
template <class A, class B>
constexpr bool same_struct_size = sizeof(A) == sizeof(B) && alignof(A) == alignof(B);
#define TB_ABI_FIELD(type, field)                                                       \
  static_assert(offsetof(ours::type, field) == offsetof(::type, field) &&               \
                    sizeof(ours::type::field) == sizeof(::type::field),                 \
                #type "." #field ": offset or size differs");
static_assert(same_struct_size<ours::nrt_version_t, ::nrt_version_t>, "nrt_version_t size");
TB_ABI_FIELD(nrt_version_t, rt_major)
TB_ABI_FIELD(nrt_version_t, rt_minor)
TB_ABI_FIELD(nrt_version_t, rt_patch)
TB_ABI_FIELD(nrt_version_t, rt_maintenance)
TB_ABI_FIELD(nrt_version_t, rt_detail)
TB_ABI_FIELD(nrt_version_t, git_hash)
static_assert(same_struct_size<ours::nrt_instance_info_t, ::nrt_instance_info_t>, "nrt_instance_info_t size");
TB_ABI_FIELD(nrt_instance_info_t, family)
TB_ABI_FIELD(nrt_instance_info_t, size)
TB_ABI_FIELD(nrt_instance_info_t, arch_name)
TB_ABI_FIELD(nrt_instance_info_t, device_revision)
static_assert(same_struct_size<ours::nrt_tensor_info_t, ::nrt_tensor_info_t>, "nrt_tensor_info_t size");
TB_ABI_FIELD(nrt_tensor_info_t, name)
TB_ABI_FIELD(nrt_tensor_info_t, usage)
TB_ABI_FIELD(nrt_tensor_info_t, size)
TB_ABI_FIELD(nrt_tensor_info_t, dtype)
TB_ABI_FIELD(nrt_tensor_info_t, shape)
TB_ABI_FIELD(nrt_tensor_info_t, ndim)
static_assert(same_struct_size<ours::nrt_tensor_info_array_t, ::nrt_tensor_info_array_t>,
              "nrt_tensor_info_array_t size");
TB_ABI_FIELD(nrt_tensor_info_array_t, tensor_count)
static_assert(offsetof(ours::nrt_tensor_info_array_t, tensor_array) ==
                  offsetof(::nrt_tensor_info_array_t, tensor_array),
              "nrt_tensor_info_array_t.tensor_array: offset differs");
#undef TB_ABI_FIELD

// The comparison can fail: a parameter of another width, or a missing
// const, is told apart (so the checks above are not vacuous).
static_assert(!std::is_same_v<c_type_t<ours::NRT_STATUS (*)(ours::nrt_tensor_t*, void*, std::size_t, unsigned)>,
                              decltype(&::nrt_tensor_read)>,
              "a narrower size parameter must not compare equal");
static_assert(!std::is_same_v<c_type_t<ours::NRT_STATUS (*)(ours::nrt_tensor_t*, void*, std::size_t, std::size_t)>,
                              decltype(&::nrt_tensor_read)>,
              "a missing const must not compare equal");
static_assert(std::is_same_v<c_type_t<ours::NRT_STATUS (*)(const ours::nrt_tensor_t*, void*, std::size_t, std::size_t)>,
                             decltype(&::nrt_tensor_read)>,
              "the mapping itself");

}  // namespace
