#include "backends/neuron/nrt_handles.h"

#include <cstring>
#include <filesystem>
#include <utility>

#include "common/atomic_file.h"

namespace tb::nrt {

Expected<std::vector<char>> read_neff_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::status(path, ec))) {
    return bad_input("NEFF file '" + path + "' does not exist");
  }
  TB_ASSIGN_OR_RETURN(const std::string bytes, read_file(path, kMaxNeffFileBytes, "NEFF file"));
  if (bytes.empty()) return bad_input("NEFF file '" + path + "' is empty");
  return std::vector<char>(bytes.begin(), bytes.end());
}

std::optional<DType> dtype_from_nrt(nrt_dtype_t dtype) {
  switch (dtype) {
    case NRT_DTYPE_FLOAT32: return DType::kFp32;
    case NRT_DTYPE_BFLOAT16: return DType::kBf16;
    case NRT_DTYPE_FLOAT16: return DType::kFp16;
    default: return std::nullopt;
  }
}

nrt_dtype_t dtype_to_nrt(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return NRT_DTYPE_FLOAT32;
    case DType::kBf16: return NRT_DTYPE_BFLOAT16;
    case DType::kFp16: return NRT_DTYPE_FLOAT16;
    case DType::kFp8E4m3: break;  // not mapped: NRT_DTYPE_FP8_E4 is not confirmed to be OCP e4m3 "FN"
  }
  return NRT_DTYPE_UNKNOWN;
}

std::string nrt_dtype_name(std::uint32_t code) {
  // A code that is one of our dtypes is named as trainbench names that dtype,
  // so that the manifest's dtype and the runtime's compare equal.
  if (const std::optional<DType> ours = dtype_from_nrt(static_cast<nrt_dtype_t>(code))) {
    return std::string(dtype_name(*ours));
  }
  switch (code) {
#define TB_NRT_DTYPE_NAME(name, value, text) \
  case value:                                \
    return text;
    TB_NRT_DTYPES(TB_NRT_DTYPE_NAME)
#undef TB_NRT_DTYPE_NAME
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (std::uint32_t c = code; c != 0; c >>= 4) hex.insert(hex.begin(), kHex[c & 0xF]);
  return "nrt_dtype 0x" + hex;
}

std::string RuntimeVersion::to_string() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch) + "." +
         std::to_string(maintenance);
}

// ---- NrtRuntime ----

Expected<std::unique_ptr<NrtRuntime>> NrtRuntime::init(const NrtLibrary& library) {
  const NrtApi& api = library.api();
  TB_RETURN_IF_ERROR(check(api.nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), "nrt_init", ErrorCode::kUnavailable));
  return std::unique_ptr<NrtRuntime>(new NrtRuntime(&api));
}

NrtRuntime::~NrtRuntime() { api_->nrt_close(); }

Expected<RuntimeVersion> runtime_version(const NrtApi& api) {
  nrt_version_t v{};
  TB_RETURN_IF_ERROR(check(api.nrt_get_version(&v, sizeof v), "nrt_get_version"));
  RuntimeVersion out;
  out.major = v.rt_major;
  out.minor = v.rt_minor;
  out.patch = v.rt_patch;
  out.maintenance = v.rt_maintenance;
  out.detail.assign(v.rt_detail, strnlen(v.rt_detail, sizeof v.rt_detail));
  out.git_hash.assign(v.git_hash, strnlen(v.git_hash, sizeof v.git_hash));
  return out;
}

Expected<std::uint32_t> visible_nc_count(const NrtApi& api) {
  std::uint32_t count = 0;
  if (api.nrt_get_visible_vnc_count != nullptr) {
    TB_RETURN_IF_ERROR(check(api.nrt_get_visible_vnc_count(&count), "nrt_get_visible_vnc_count"));
  } else {  // NrtLibrary::open guarantees one of the two
    TB_RETURN_IF_ERROR(check(api.nrt_get_visible_nc_count(&count), "nrt_get_visible_nc_count"));
  }
  return count;
}

Expected<std::uint32_t> total_nc_count(const NrtApi& api) {
  std::uint32_t count = 0;
  if (api.nrt_get_total_vnc_count != nullptr) {
    TB_RETURN_IF_ERROR(check(api.nrt_get_total_vnc_count(&count), "nrt_get_total_vnc_count"));
  } else if (api.nrt_get_total_nc_count != nullptr) {
    TB_RETURN_IF_ERROR(check(api.nrt_get_total_nc_count(&count), "nrt_get_total_nc_count"));
  } else {
    return unavailable("the Neuron runtime has neither nrt_get_total_vnc_count nor nrt_get_total_nc_count");
  }
  return count;
}

Expected<std::string> instance_type(const NrtApi& api) {
  if (api.nrt_get_instance_info == nullptr) return unavailable("this Neuron runtime has no nrt_get_instance_info");
  nrt_instance_info_t info{};
  TB_RETURN_IF_ERROR(check(api.nrt_get_instance_info(&info, sizeof info), "nrt_get_instance_info",
                           ErrorCode::kUnavailable));
  const std::string family = instance_family_name(info.family);
  const std::string size = instance_size_name(info.size);
  if (family.empty() || size.empty()) {
    return unavailable("nrt_get_instance_info reports instance family code " + std::to_string(info.family) +
                       " and size code " + std::to_string(info.size) + ", which this build does not name");
  }
  return family + "." + size;
}

// ---- NrtModel ----

Expected<NrtModel> NrtModel::load(const NrtRuntime& runtime, const std::vector<char>& neff, std::int32_t vnc) {
  nrt_model_t* model = nullptr;
  TB_RETURN_IF_ERROR(check(runtime.api().nrt_load(neff.data(), neff.size(), vnc, -1, &model), "nrt_load"));
  if (model == nullptr) return run_failure("nrt_load returned SUCCESS (0) but no model");
  return NrtModel(&runtime.api(), model);
}

NrtModel::NrtModel(NrtModel&& other) noexcept : api_(other.api_), model_(std::exchange(other.model_, nullptr)) {}

NrtModel& NrtModel::operator=(NrtModel&& other) noexcept {
  if (this != &other) {
    (void)unload();
    api_ = other.api_;
    model_ = std::exchange(other.model_, nullptr);
  }
  return *this;
}

Status NrtModel::execute(const NrtTensorSet& inputs, NrtTensorSet& outputs) const {
  return check(api_->nrt_execute(model_, inputs.get(), outputs.get()), "nrt_execute");
}

Status NrtModel::unload() {
  if (model_ == nullptr) return {};
  nrt_model_t* model = std::exchange(model_, nullptr);
  return check(api_->nrt_unload(model), "nrt_unload");
}

// ---- NrtTensor ----

Expected<NrtTensor> NrtTensor::allocate(const NrtRuntime& runtime, std::size_t size, const std::string& name,
                                        nrt_tensor_placement_t placement, int vnc) {
  nrt_tensor_t* tensor = nullptr;
  TB_RETURN_IF_ERROR(check(runtime.api().nrt_tensor_allocate(placement, vnc, size, name.c_str(), &tensor),
                           "nrt_tensor_allocate (tensor '" + name + "', " + std::to_string(size) + " B)"));
  if (tensor == nullptr) {
    return run_failure("nrt_tensor_allocate (tensor '" + name + "') returned SUCCESS (0) but no tensor");
  }
  return NrtTensor(&runtime.api(), tensor, name);
}

NrtTensor::NrtTensor(NrtTensor&& other) noexcept
    : api_(other.api_), tensor_(std::exchange(other.tensor_, nullptr)), name_(std::move(other.name_)) {}

NrtTensor& NrtTensor::operator=(NrtTensor&& other) noexcept {
  if (this != &other) {
    release();
    api_ = other.api_;
    tensor_ = std::exchange(other.tensor_, nullptr);
    name_ = std::move(other.name_);
  }
  return *this;
}

Status NrtTensor::write(const void* data, std::size_t size, std::size_t offset) {
  const int status = api_->nrt_tensor_write(tensor_, data, offset, size);
  if (status == NRT_SUCCESS) return {};  // the message below allocates: build it only on failure
  return check(status, "nrt_tensor_write (tensor '" + name_ + "')");
}

Status NrtTensor::read(void* data, std::size_t size, std::size_t offset) const {
  const int status = api_->nrt_tensor_read(tensor_, data, offset, size);
  if (status == NRT_SUCCESS) return {};
  return check(status, "nrt_tensor_read (tensor '" + name_ + "')");
}

std::size_t NrtTensor::size() const { return tensor_ != nullptr ? api_->nrt_tensor_get_size(tensor_) : 0; }

void NrtTensor::release() {
  if (tensor_ != nullptr) api_->nrt_tensor_free(&tensor_);  // nulls tensor_
  tensor_ = nullptr;
}

// ---- NrtTensorSet ----

Expected<NrtTensorSet> NrtTensorSet::allocate(const NrtRuntime& runtime) {
  nrt_tensor_set_t* set = nullptr;
  TB_RETURN_IF_ERROR(check(runtime.api().nrt_allocate_tensor_set(&set), "nrt_allocate_tensor_set"));
  if (set == nullptr) return run_failure("nrt_allocate_tensor_set returned SUCCESS (0) but no set");
  return NrtTensorSet(&runtime.api(), set);
}

NrtTensorSet::NrtTensorSet(NrtTensorSet&& other) noexcept
    : api_(other.api_), set_(std::exchange(other.set_, nullptr)) {}

NrtTensorSet& NrtTensorSet::operator=(NrtTensorSet&& other) noexcept {
  if (this != &other) {
    release();
    api_ = other.api_;
    set_ = std::exchange(other.set_, nullptr);
  }
  return *this;
}

Status NrtTensorSet::add(const NrtTensor& tensor) {
  const int status = api_->nrt_add_tensor_to_tensor_set(set_, tensor.name().c_str(), tensor.get());
  if (status == NRT_SUCCESS) return {};
  return check(status, "nrt_add_tensor_to_tensor_set (tensor '" + tensor.name() + "')");
}

void NrtTensorSet::release() {
  if (set_ != nullptr) api_->nrt_destroy_tensor_set(&set_);  // nulls set_
  set_ = nullptr;
}

// ---- NrtTensorInfo ----

Expected<NrtTensorInfo> NrtTensorInfo::query(const NrtModel& model) {
  const NrtApi& api = model.api();
  nrt_tensor_info_array_t* info = nullptr;
  TB_RETURN_IF_ERROR(check(api.nrt_get_model_tensor_info(model.get(), &info), "nrt_get_model_tensor_info"));
  if (info == nullptr) return run_failure("nrt_get_model_tensor_info returned SUCCESS (0) but no tensor info");
  std::vector<NrtTensorDesc> tensors;
  tensors.reserve(info->tensor_count);
  for (std::uint64_t i = 0; i < info->tensor_count; ++i) {
    const nrt_tensor_info_t& t = info->tensor_array[i];
    NrtTensorDesc d;
    d.name.assign(t.name, strnlen(t.name, sizeof t.name));
    d.usage = t.usage;
    d.size = t.size;
    d.dtype = t.dtype;
    if (t.shape != nullptr) d.shape.assign(t.shape, t.shape + t.ndim);
    tensors.push_back(std::move(d));
  }
  return NrtTensorInfo(&api, info, std::move(tensors));
}

NrtTensorInfo::NrtTensorInfo(NrtTensorInfo&& other) noexcept
    : api_(other.api_), info_(std::exchange(other.info_, nullptr)), tensors_(std::move(other.tensors_)) {}

NrtTensorInfo& NrtTensorInfo::operator=(NrtTensorInfo&& other) noexcept {
  if (this != &other) {
    (void)release();
    api_ = other.api_;
    info_ = std::exchange(other.info_, nullptr);
    tensors_ = std::move(other.tensors_);
  }
  return *this;
}

const NrtTensorDesc* NrtTensorInfo::find(std::string_view name) const {
  for (const NrtTensorDesc& d : tensors_) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

Status NrtTensorInfo::release() {
  if (info_ == nullptr) return {};
  nrt_tensor_info_array_t* info = std::exchange(info_, nullptr);
  return check(api_->nrt_free_model_tensor_info(info), "nrt_free_model_tensor_info");
}

}  // namespace tb::nrt
