// RAII over the Neuron runtime's handles, in the official call sequence:
//   read_neff_file -> NrtRuntime::init (nrt_init) -> NrtModel::load (nrt_load)
//   -> NrtTensorInfo::query -> NrtTensor::allocate, NrtTensorSet::add
//   -> NrtTensor::write -> NrtModel::execute -> NrtTensor::read
//   -> destructors (tensor sets, tensors, tensor info, model; nrt_close last).
//
// Lifetimes: the NrtLibrary outlives the NrtRuntime, which outlives every
// model, tensor, tensor set and tensor info made through it (declare them in
// that order; C++ destroys in reverse). A tensor set does not own the tensors
// added to it: they must outlive every execute() that uses the set.
// Threading: one thread at a time per runtime, as the Backend contract says.
//
// Every NRT status is checked; a failure is an error "<call> failed: NAME
// (number)" (check() in nrt_library.h). Destructors cannot report: they
// release what they own and ignore the status (call unload()/release() first
// to see it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/neuron/nrt_api.h"
#include "backends/neuron/nrt_library.h"
#include "common/dtype.h"
#include "common/error.h"

namespace tb::nrt {

// Largest NEFF file read_neff_file reads (B): 1 GiB, far above any compiled kernel.
inline constexpr std::int64_t kMaxNeffFileBytes = std::int64_t{1} << 30;

// The whole file as bytes, for nrt_load (read with read_file). Errors: missing
// (kBadInput, "NEFF file '<path>' does not exist"), not a regular file, larger
// than kMaxNeffFileBytes or unreadable (kIo, "cannot read NEFF file '<path>':
// <reason>"), empty (kBadInput).
Expected<std::vector<char>> read_neff_file(const std::string& path);

// Our dtype for a runtime dtype code (fp32, bf16, fp16), or nullopt.
std::optional<DType> dtype_from_nrt(nrt_dtype_t dtype);
nrt_dtype_t dtype_to_nrt(DType dtype);
// The one name of an nrt_dtype_t code, for messages and for comparing the
// runtime's tensor info with the manifest (check_tensor_info): a code that
// dtype_from_nrt() maps is named by dtype_name() ("fp32" for 0xA, "bf16",
// "fp16"); the other documented codes by their type ("int8", "fp8_e3",
// "fp32r", "unknown", ...); an undocumented code as "nrt_dtype 0x<hex>".
std::string nrt_dtype_name(std::uint32_t code);

struct RuntimeVersion {
  std::uint64_t major = 0, minor = 0, patch = 0, maintenance = 0;
  std::string detail;    // rt_detail
  std::string git_hash;
  std::string to_string() const;  // "2.22.14.0"
};

// Facts the library gives before nrt_init (nrt.h notes every count "can be
// called before nrt_init()"; a version query needs no cores), so describing
// the device holds no NeuronCore.
Expected<RuntimeVersion> runtime_version(const NrtApi& api);  // nrt_get_version
// NeuronCores this process may use (nrt_get_visible_vnc_count, or the older
// nrt_get_visible_nc_count): logical cores (Trn2 pairs two by default, LNC=2).
Expected<std::uint32_t> visible_nc_count(const NrtApi& api);
// NeuronCores on the machine (nrt_get_total_vnc_count / _nc_count); an error
// when the runtime has neither entry point.
Expected<std::uint32_t> total_nc_count(const NrtApi& api);
// The EC2 instance type from nrt_get_instance_info, e.g. "trn1.32xlarge".
// kUnavailable, saying why, when the runtime lacks the entry point, the call
// fails, or it reports a family or size code this build does not know.
Expected<std::string> instance_type(const NrtApi& api);

// The initialized runtime: nrt_init(NO_FW, "", "") on creation, nrt_close on
// destruction. nrt_init takes the NeuronCores it is given (by default all of
// them) exclusively until nrt_close, so hold one only while running NEFFs
// (docs/neuron.md, "Who holds the NeuronCores"). The runtime is
// process-wide: hold at most one at a time.
class NrtRuntime {
 public:
  // Errors: nrt_init failing is kUnavailable ("nrt_init failed: FAILURE (1)"):
  // the library is there but this machine cannot run Neuron work.
  static Expected<std::unique_ptr<NrtRuntime>> init(const NrtLibrary& library);
  ~NrtRuntime();
  NrtRuntime(const NrtRuntime&) = delete;
  NrtRuntime& operator=(const NrtRuntime&) = delete;

  const NrtApi& api() const { return *api_; }

 private:
  explicit NrtRuntime(const NrtApi* api) : api_(api) {}
  const NrtApi* api_;
};

class NrtTensorSet;

// A loaded NEFF (nrt_load / nrt_unload). Movable, not copyable.
class NrtModel {
 public:
  // nrt_load(bytes, size, vnc, -1); vnc -1 lets the runtime pick the first free core.
  static Expected<NrtModel> load(const NrtRuntime& runtime, const std::vector<char>& neff, std::int32_t vnc = -1);
  ~NrtModel() { (void)unload(); }
  NrtModel(NrtModel&& other) noexcept;
  NrtModel& operator=(NrtModel&& other) noexcept;
  NrtModel(const NrtModel&) = delete;
  NrtModel& operator=(const NrtModel&) = delete;

  // One synchronous execution (nrt_execute). The hot path of the timing loop:
  // no allocation on success.
  Status execute(const NrtTensorSet& inputs, NrtTensorSet& outputs) const;
  // nrt_unload now, reporting its status; afterwards the model is empty. Ok when already empty.
  Status unload();

  nrt_model_t* get() const { return model_; }
  const NrtApi& api() const { return *api_; }

 private:
  NrtModel(const NrtApi* api, nrt_model_t* model) : api_(api), model_(model) {}
  const NrtApi* api_;
  nrt_model_t* model_;
};

// A runtime tensor (nrt_tensor_allocate / nrt_tensor_free). Movable, not copyable.
class NrtTensor {
 public:
  // `size` bytes named `name` (the NEFF's tensor name) on NeuronCore `vnc`.
  static Expected<NrtTensor> allocate(const NrtRuntime& runtime, std::size_t size, const std::string& name,
                                      nrt_tensor_placement_t placement = NRT_TENSOR_PLACEMENT_DEVICE, int vnc = 0);
  ~NrtTensor() { release(); }
  NrtTensor(NrtTensor&& other) noexcept;
  NrtTensor& operator=(NrtTensor&& other) noexcept;
  NrtTensor(const NrtTensor&) = delete;
  NrtTensor& operator=(const NrtTensor&) = delete;

  // Copies `size` bytes from `data` to the tensor at byte `offset` (nrt_tensor_write).
  Status write(const void* data, std::size_t size, std::size_t offset = 0);
  // Copies `size` bytes at byte `offset` into `data` (nrt_tensor_read).
  Status read(void* data, std::size_t size, std::size_t offset = 0) const;
  // Bytes, as the runtime reports them (nrt_tensor_get_size).
  std::size_t size() const;
  // nrt_tensor_free now; afterwards the tensor is empty.
  void release();

  const std::string& name() const { return name_; }
  nrt_tensor_t* get() const { return tensor_; }

 private:
  NrtTensor(const NrtApi* api, nrt_tensor_t* tensor, std::string name)
      : api_(api), tensor_(tensor), name_(std::move(name)) {}
  const NrtApi* api_;
  nrt_tensor_t* tensor_;
  std::string name_;
};

// A named set of tensors, the inputs or outputs of one execute
// (nrt_allocate_tensor_set / nrt_destroy_tensor_set). Movable, not copyable.
class NrtTensorSet {
 public:
  static Expected<NrtTensorSet> allocate(const NrtRuntime& runtime);
  ~NrtTensorSet() { release(); }
  NrtTensorSet(NrtTensorSet&& other) noexcept;
  NrtTensorSet& operator=(NrtTensorSet&& other) noexcept;
  NrtTensorSet(const NrtTensorSet&) = delete;
  NrtTensorSet& operator=(const NrtTensorSet&) = delete;

  // Adds `tensor` under its name (nrt_add_tensor_to_tensor_set); not owned.
  Status add(const NrtTensor& tensor);
  // nrt_destroy_tensor_set now; the tensors are not freed.
  void release();

  nrt_tensor_set_t* get() const { return set_; }

 private:
  NrtTensorSet(const NrtApi* api, nrt_tensor_set_t* set) : api_(api), set_(set) {}
  const NrtApi* api_;
  nrt_tensor_set_t* set_;
};

// One tensor of a loaded model, as nrt_get_model_tensor_info describes it.
struct NrtTensorDesc {
  std::string name;
  nrt_tensor_usage_t usage = NRT_TENSOR_USAGE_INPUT;
  std::size_t size = 0;  // bytes
  nrt_dtype_t dtype = NRT_DTYPE_UNKNOWN;
  std::vector<std::uint32_t> shape;  // outermost first

  bool is_input() const { return usage == NRT_TENSOR_USAGE_INPUT; }
};

// A model's tensors (nrt_get_model_tensor_info / nrt_free_model_tensor_info),
// in the runtime's order. Iterable as NrtTensorDesc. Movable, not copyable.
class NrtTensorInfo {
 public:
  static Expected<NrtTensorInfo> query(const NrtModel& model);
  ~NrtTensorInfo() { (void)release(); }
  NrtTensorInfo(NrtTensorInfo&& other) noexcept;
  NrtTensorInfo& operator=(NrtTensorInfo&& other) noexcept;
  NrtTensorInfo(const NrtTensorInfo&) = delete;
  NrtTensorInfo& operator=(const NrtTensorInfo&) = delete;

  std::size_t size() const { return tensors_.size(); }
  const NrtTensorDesc& operator[](std::size_t i) const { return tensors_[i]; }
  std::vector<NrtTensorDesc>::const_iterator begin() const { return tensors_.begin(); }
  std::vector<NrtTensorDesc>::const_iterator end() const { return tensors_.end(); }
  // The tensor named `name`, or null.
  const NrtTensorDesc* find(std::string_view name) const;
  // nrt_free_model_tensor_info now, reporting its status; the descriptions stay.
  Status release();

 private:
  NrtTensorInfo(const NrtApi* api, nrt_tensor_info_array_t* info, std::vector<NrtTensorDesc> tensors)
      : api_(api), info_(info), tensors_(std::move(tensors)) {}
  const NrtApi* api_;
  nrt_tensor_info_array_t* info_;
  std::vector<NrtTensorDesc> tensors_;
};

}  // namespace tb::nrt
