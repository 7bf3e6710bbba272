#include "backends/neuron/neuron_backend.h"
#include "backends/neuron/neuron_options.h"

#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backends/host_timer.h"
#include "backends/neuron/nccom_test.h"
#include "backends/neuron/neff_manifest.h"
#include "backends/neuron/nrt_handles.h"
#include "backends/neuron/nrt_library.h"
#include "catalog/instance_catalog.h"
#include "kernels/allreduce/allreduce_problem.h"

namespace tb {
namespace {

constexpr const char* kHardwareVerification =
    "none: this adapter has run only against trainbench's fake runtime (tests/fake_nrt); see docs/neuron.md";

// [.., r, c] -> [.., c, r] for row-major data of `element`-byte elements; the
// NEFF layout "transposed" (neff_manifest.h). Its own inverse with r and c swapped.
std::vector<std::byte> swap_last_two(const std::vector<std::byte>& in, std::int64_t rows, std::int64_t cols,
                                     std::size_t element) {
  std::vector<std::byte> out(in.size());
  const std::int64_t plane = rows * cols;
  const std::int64_t planes = plane == 0 ? 0 : static_cast<std::int64_t>(in.size() / element) / plane;
  for (std::int64_t p = 0; p < planes; ++p) {
    const std::byte* src = in.data() + static_cast<std::size_t>(p * plane) * element;
    std::byte* dst = out.data() + static_cast<std::size_t>(p * plane) * element;
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t c = 0; c < cols; ++c) {
        std::memcpy(dst + static_cast<std::size_t>(c * rows + r) * element,
                    src + static_cast<std::size_t>(r * cols + c) * element, element);
      }
    }
  }
  return out;
}

// Host bytes of `host` (the spec's row-major layout) as the NEFF stores them.
std::vector<std::byte> to_neff_layout(const HostTensor& host, const NeffTensor& t) {
  if (t.layout == NeffLayout::kRowMajor || host.spec.shape.size() < 2) return host.data;
  const std::size_t n = host.spec.shape.size();
  return swap_last_two(host.data, host.spec.shape[n - 2], host.spec.shape[n - 1], dtype_size(host.spec.dtype));
}

// The inverse: NEFF bytes back into the spec's row-major layout.
void from_neff_layout(std::vector<std::byte>& bytes, const TensorSpec& spec, const NeffTensor& t) {
  if (t.layout == NeffLayout::kRowMajor || spec.shape.size() < 2) return;
  const std::size_t n = spec.shape.size();
  bytes = swap_last_two(bytes, spec.shape[n - 1], spec.shape[n - 2], dtype_size(spec.dtype));
}

std::vector<RuntimeTensorInfo> runtime_info(const nrt::NrtTensorInfo& info) {
  std::vector<RuntimeTensorInfo> out;
  for (const nrt::NrtTensorDesc& d : info) {
    RuntimeTensorInfo r;
    r.name = d.name;
    r.usage = d.is_input() ? NeffTensorUsage::kInput : NeffTensorUsage::kOutput;
    r.size_bytes = static_cast<std::int64_t>(d.size);
    r.dtype = nrt::nrt_dtype_name(static_cast<std::uint32_t>(d.dtype));
    for (std::uint32_t s : d.shape) r.shape.push_back(s);
    out.push_back(std::move(r));
  }
  return out;
}

// The instance type this machine says it is (EC2 puts it in the DMI product name), or "".
std::string dmi_instance_type() {
  std::ifstream in("/sys/devices/virtual/dmi/id/product_name");
  std::string name;
  std::getline(in, name);
  return name.find('.') != std::string::npos && name.find(' ') == std::string::npos ? name : "";
}

class NeuronWorkload final : public Workload {
 public:
  NeuronWorkload(ProblemPtr problem, const NeffEntry& entry, std::string implementation, nrt::NrtModel model)
      : problem_(std::move(problem)), entry_(entry), implementation_(std::move(implementation)),
        model_(std::move(model)) {}

  // Allocates every tensor the manifest names, adds them to the input and
  // output sets, and uploads `inputs` in the NEFF's layout.
  Status set_up(const nrt::NrtRuntime& runtime, const nrt::NrtTensorInfo& info, const std::vector<HostTensor>& inputs) {
    TB_ASSIGN_OR_RETURN(in_set_, nrt::NrtTensorSet::allocate(runtime));
    TB_ASSIGN_OR_RETURN(out_set_, nrt::NrtTensorSet::allocate(runtime));
    for (const NeffTensor& t : entry_.inputs) TB_RETURN_IF_ERROR(add(runtime, info, t, inputs_, *in_set_));
    for (const NeffTensor& t : entry_.outputs) TB_RETURN_IF_ERROR(add(runtime, info, t, outputs_, *out_set_));
    for (std::size_t i = 0; i < inputs.size() && i < inputs_.size(); ++i) {
      const std::vector<std::byte> bytes = to_neff_layout(inputs[i], entry_.inputs[i]);
      TB_RETURN_IF_ERROR(inputs_[i].write(bytes.data(), bytes.size()));
    }
    return {};
  }

  Status run() override { return model_.execute(*in_set_, *out_set_); }  // synchronous
  Status synchronize() override { return {}; }

  Status poison_outputs() override {
    const std::vector<TensorSpec> specs = problem_->output_specs();
    for (std::size_t i = 0; i < specs.size() && i < outputs_.size(); ++i) {
      HostTensor nan(specs[i]);
      fill_nan(nan);
      TB_RETURN_IF_ERROR(outputs_[i].write(nan.data.data(), nan.data.size()));
    }
    return {};
  }

  Expected<std::vector<HostTensor>> read_outputs() override {
    std::vector<HostTensor> out;
    const std::vector<TensorSpec> specs = problem_->output_specs();
    for (std::size_t i = 0; i < specs.size() && i < outputs_.size(); ++i) {
      HostTensor host(specs[i]);
      TB_RETURN_IF_ERROR(outputs_[i].read(host.data.data(), host.data.size()));
      from_neff_layout(host.data, host.spec, entry_.outputs[i]);
      out.push_back(std::move(host));
    }
    return out;
  }

  std::unique_ptr<DeviceTimer> make_timer() override { return std::make_unique<HostTimer>(); }
  std::string implementation() const override { return implementation_; }

 private:
  static Status add(const nrt::NrtRuntime& runtime, const nrt::NrtTensorInfo& info, const NeffTensor& t,
                    std::vector<nrt::NrtTensor>& tensors, nrt::NrtTensorSet& set) {
    const nrt::NrtTensorDesc* desc = info.find(t.name);
    const std::size_t size = desc ? desc->size : static_cast<std::size_t>(t.bytes());
    TB_ASSIGN_OR_RETURN(nrt::NrtTensor tensor, nrt::NrtTensor::allocate(runtime, size, t.name));
    TB_RETURN_IF_ERROR(set.add(tensor));
    tensors.push_back(std::move(tensor));
    return {};
  }

  // Destroyed in reverse: the sets, then the tensors, then the model.
  ProblemPtr problem_;
  NeffEntry entry_;
  std::string implementation_;
  nrt::NrtModel model_;
  std::vector<nrt::NrtTensor> inputs_, outputs_;
  std::optional<nrt::NrtTensorSet> in_set_, out_set_;  // set by set_up()
};

class NeuronBackend final : public Backend {
 public:
  explicit NeuronBackend(const BackendOptions& options) : options_(options) { status_ = open(); }

  std::string_view name() const override { return "neuron"; }
  Status available() const override { return status_; }
  DeviceInfo device_info() const override { return device_; }

  Support supports(const Problem& problem) const override {
    if (!status_) return {false, status_.error().message};
    if (problem.collective()) return neuron_allreduce_support(problem);  // through nccom-test
    if (manifest_.find(problem.to_string()) != nullptr) return {true, {}};
    return {false, "neuron: no NEFF for " + problem.to_string() + " in " + manifest_.path +
                       "; compile it on a Trainium host with: " + compile_command(problem, manifest_.path)};
  }

  std::int64_t device_bytes(const Problem& problem) const override {
    const NeffEntry* entry = manifest_.find(problem.to_string());
    std::int64_t bytes = 0;
    if (entry == nullptr) return bytes;
    for (const NeffTensor& t : entry->inputs) bytes += t.bytes();
    for (const NeffTensor& t : entry->outputs) bytes += t.bytes();
    return bytes;
  }

  Expected<std::unique_ptr<Workload>> prepare(const ProblemPtr& problem,
                                              const std::vector<HostTensor>& inputs) override {
    TB_RETURN_IF_ERROR(status_);
    const NeffEntry* entry = manifest_.find(problem->to_string());
    if (entry == nullptr) return bad_input(supports(*problem).reason);
    TB_RETURN_IF_ERROR(check_neff_file(*entry));
    TB_ASSIGN_OR_RETURN(const std::vector<char> neff, nrt::read_neff_file(entry->neff_path));
    TB_ASSIGN_OR_RETURN(nrt::NrtModel model, nrt::NrtModel::load(*runtime_, neff));
    TB_ASSIGN_OR_RETURN(nrt::NrtTensorInfo info, nrt::NrtTensorInfo::query(model));
    TB_RETURN_IF_ERROR(check_tensor_info(*entry, runtime_info(info)));
    std::string implementation = "Neuron runtime " + version_ + ", NEFF " + entry->neff;
    if (!entry->compiled_with.empty()) implementation += " (" + entry->compiled_with + ")";
    auto workload = std::make_unique<NeuronWorkload>(problem, *entry, std::move(implementation), std::move(model));
    TB_RETURN_IF_ERROR(workload->set_up(*runtime_, info, inputs));
    return std::unique_ptr<Workload>(std::move(workload));
  }

  bool measures_externally(const Problem& problem) const override { return problem.collective().has_value(); }

  // nccom-test once per repetition for the problem's one size, each run's
  // median (over its own 20 iterations after 5 warm-up) one sample; -c checks
  // every element (fp32).
  Expected<ExternalMeasurement> measure_externally(const Problem& problem, int repetitions, double timeout_s) override {
    const std::optional<CollectiveInfo> c = problem.collective();
    if (!c) return bad_input("neuron: " + problem.to_string() + " is not a collective");
    NccomRequest request;
    request.executable = resolve_nccom_test(option(kNeuronNccomTest));
    request.ranks = c->ranks;
    request.min_bytes = request.max_bytes = static_cast<std::int64_t>(problem.min_bytes());
    request.dtype = problem.dtype();
    TB_RETURN_IF_ERROR(check_nccom_request(request));
    ExternalMeasurement m;
    m.iterations_per_sample = request.iters;
    for (const std::string& arg : nccom_test_arguments(request)) m.implementation += (m.implementation.empty() ? "" : " ") + arg;
    for (int i = 0; i < repetitions; ++i) {
      TB_ASSIGN_OR_RETURN(const NccomResult result, run_nccom_test(request, timeout_s));
      if (result.rows.size() != 1 || result.rows[0].size_bytes != request.min_bytes) {
        return run_failure("nccom-test printed " + std::to_string(result.rows.size()) + " rows for one size of " +
                           std::to_string(request.min_bytes) + " bytes: " + m.implementation);
      }
      const NccomFigures f = nccom_figures(result.rows[0], c->ranks);
      if (!f.warning.empty() && m.warnings.empty()) m.warnings.push_back(f.warning);
      m.samples_s.push_back(f.time_s);
    }
    m.verification.passed = true;  // nccom-test -c found no error (run_nccom_test fails on "errors found")
    m.verification.metric = "nccom_test_check";
    m.verification.checked = m.verification.total = c->count;
    m.verification.detail = "nccom-test -c checked every element of every rank (fp32)";
    return m;
  }

  // The runtime and manifest actually opened, whatever was given; the other options as given.
  std::string reproducer_options() const override {
    BackendOptionValues resolved;
    if (library_) resolved[std::string(neuron_options()[kNeuronRuntime].flag)] = library_->path();
    if (!manifest_.path.empty()) resolved[std::string(neuron_options()[kNeuronManifest].flag)] = manifest_.path;
    return spell_options(neuron_options(), options_.values, resolved);
  }

 private:
  std::string option(NeuronOption o) const { return option_value(options_.values, neuron_options()[o]); }

  Status open() {
    TB_ASSIGN_OR_RETURN(library_, nrt::open_default_runtime(option(kNeuronRuntime)));
    TB_ASSIGN_OR_RETURN(runtime_, nrt::NrtRuntime::init(*library_));
    const std::string given = option(kNeuronManifest);
    const std::string manifest = given.empty() ? std::string(TRAINBENCH_SOURCE_DIR "/") + kDefaultNeffManifest : given;
    TB_ASSIGN_OR_RETURN(manifest_, read_neff_manifest(manifest));
    TB_ASSIGN_OR_RETURN(const nrt::RuntimeVersion version, runtime_->version());
    version_ = version.to_string();
    TB_ASSIGN_OR_RETURN(const std::uint32_t visible, runtime_->visible_nc_count());
    describe_device(visible);
    return {};
  }

  void describe_device(std::uint32_t visible_cores) {
    device_.kind = "neuron";
    device_.compute_units = static_cast<int>(visible_cores);
    device_.name = "NeuronCore (" + std::to_string(visible_cores) + " visible)";
    device_.properties = {{"neuron_runtime_version", version_},
                          {"neuron_runtime_library", library_->loaded_from()},
                          {"neff_manifest", manifest_.path},
                          {"neff_target", manifest_.target},
                          {"hardware_verification", kHardwareVerification}};
    const std::string instance = option(kNeuronInstanceType).empty() ? dmi_instance_type() : option(kNeuronInstanceType);
    device_.peak_source = "unknown: give --instance-type (e.g. trn1.32xlarge) for the catalog's peaks";
    if (instance.empty()) return;
    device_.properties.emplace_back("instance_type", instance);
    const Expected<InstanceCatalog> catalog = read_instance_catalog(default_instance_catalog_path());
    const Expected<Instance> row = catalog ? catalog->find(instance) : Expected<Instance>(catalog.error());
    const Expected<std::uint32_t> total = runtime_->total_nc_count();
    if (!row || !total || *total == 0 || row->accelerator_count == 0) return;
    // The catalog's figures are per chip; one workload runs on one NeuronCore.
    const double cores_per_chip = static_cast<double>(*total) / row->accelerator_count;
    device_.name = row->accelerator + " NeuronCore (" + instance + ", " + std::to_string(visible_cores) + " visible)";
    if (row->peak_fp32_tflops) device_.peak_flop_per_s[DType::kFp32] = *row->peak_fp32_tflops * 1e12 / cores_per_chip;
    if (row->peak_bf16_tflops) {
      device_.peak_flop_per_s[DType::kBf16] = *row->peak_bf16_tflops * 1e12 / cores_per_chip;
      device_.peak_flop_per_s[DType::kFp16] = *row->peak_bf16_tflops * 1e12 / cores_per_chip;
    }
    if (row->memory_bandwidth_gb_per_s) device_.memory_bandwidth_bytes_per_s = *row->memory_bandwidth_gb_per_s * 1e9 / cores_per_chip;
    if (row->accelerator_memory_gib) {
      device_.memory_bytes = static_cast<std::int64_t>(*row->accelerator_memory_gib * 1073741824.0 / cores_per_chip);
    }
    device_.peak_source = "spec: catalog row " + instance + " (" + row->specs_source + "), per chip / " +
                          std::to_string(static_cast<int>(cores_per_chip)) + " NeuronCores per chip";
  }

  BackendOptions options_;
  // Destroyed in reverse: the runtime (nrt_close) before the library (dlclose).
  std::unique_ptr<nrt::NrtLibrary> library_;
  std::unique_ptr<nrt::NrtRuntime> runtime_;
  NeffManifest manifest_;
  std::string version_;
  DeviceInfo device_;
  Status status_;
};

}  // namespace

Support neuron_allreduce_support(const Problem& problem) {
  const auto* p = dynamic_cast<const AllreduceProblem*>(&problem);
  if (p == nullptr) return {false, "neuron: " + problem.to_string() + " is not an all-reduce"};
  const std::string elsewhere = "neuron: all-reduce runs through nccom-test (Neuron's collectives) with algo=ring, "
                                "the default; algo=" + std::string(allreduce_algo_name(p->algo()));
  switch (p->algo()) {
    case AllreduceAlgo::kRing: break;
    case AllreduceAlgo::kMpi: return {false, elsewhere + " (MPI_Allreduce) runs on --backend cpu"};
    case AllreduceAlgo::kNccl: return {false, elsewhere + " (NCCL) runs on --backend cuda"};
  }
  if (p->dtype() != DType::kFp32) {
    return {false, "neuron: all-reduce runs through nccom-test, which checks its results for fp32 only; trainbench "
                   "reports no unchecked throughput: use dtype=fp32"};
  }
  return {true, {}};
}

std::unique_ptr<Backend> make_neuron_backend(const BackendOptions& options) {
  return std::make_unique<NeuronBackend>(options);
}

}  // namespace tb
