#include "backends/neuron/neuron_backend.h"
#include "backends/neuron/neuron_options.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backends/host_timer.h"
#include "backends/neuron/nccom_test.h"
#include "backends/neuron/neff_info.h"
#include "backends/neuron/neff_manifest.h"
#include "backends/neuron/nrt_handles.h"
#include "backends/neuron/nrt_library.h"
#include "catalog/instance_catalog.h"
#include "kernels/allreduce/allreduce_problem.h"

namespace tb {
namespace {

constexpr const char* kHardwareVerification =
    "none: this adapter has run only against trainbench's fake runtime (tests/fake_nrt) and fake nccom-test; see "
    "docs/neuron.md";

// Physical NeuronCores per chip, by the catalog's accelerator name (AWS's
// Neuron architecture pages: NeuronCore-v2 x 2 on Trainium and Inferentia2,
// NeuronCore-v3 x 8 on Trainium2); 0 when not known.
int physical_cores_per_chip(const std::string& accelerator) {
  if (accelerator == "Trainium" || accelerator == "Inferentia2") return 2;
  if (accelerator == "Trainium2") return 8;
  return 0;
}

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

// The instance type this machine's DMI product name holds, or "". EC2 puts the
// instance type there, but no AWS document promises it: the fallback when the
// runtime's nrt_get_instance_info cannot say.
std::string dmi_instance_type() {
  std::ifstream in("/sys/devices/virtual/dmi/id/product_name");
  std::string name;
  std::getline(in, name);
  return name.find('.') != std::string::npos && name.find(' ') == std::string::npos ? name : "";
}

class NeuronWorkload final : public Workload {
 public:
  NeuronWorkload(std::shared_ptr<nrt::NrtRuntime> runtime, ProblemPtr problem, const NeffEntry& entry,
                 std::string implementation, nrt::NrtModel model)
      : runtime_(std::move(runtime)), problem_(std::move(problem)), entry_(entry),
        implementation_(std::move(implementation)), model_(std::move(model)) {}

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

  // Destroyed in reverse: the sets, then the tensors, then the model, then
  // (when this was the last holder) the runtime, which releases the cores.
  std::shared_ptr<nrt::NrtRuntime> runtime_;
  ProblemPtr problem_;
  NeffEntry entry_;
  std::string implementation_;
  nrt::NrtModel model_;
  std::vector<nrt::NrtTensor> inputs_, outputs_;
  std::optional<nrt::NrtTensorSet> in_set_, out_set_;  // set by set_up()
};

// Who holds the NeuronCores (docs/neuron.md): creating the backend only loads
// the library (dlopen) and asks it questions nrt.h allows before nrt_init.
// The first GEMM or attention problem initialises the runtime (nrt_init takes
// the cores exclusively); it stays initialised for the next ones, and is
// closed (nrt_close) before an all-reduce runs nccom-test, whose workers need
// the cores, and when the backend is destroyed. An all-reduce never touches
// the runtime, so it runs on a machine without libnrt.
class NeuronBackend final : public Backend {
 public:
  explicit NeuronBackend(const BackendOptions& options) : options_(options) { status_ = open(); }

  std::string_view name() const override { return "neuron"; }
  Status available() const override { return status_; }
  DeviceInfo device_info() const override { return device_; }

  Support supports(const Problem& problem) const override {
    if (!status_) return {false, status_.error().message};
    if (problem.collective()) return neuron_allreduce_support(problem);  // through nccom-test
    if (!library_) return {false, "neuron: GEMM and attention run NEFFs through the Neuron runtime: " + runtime_error_};
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
    if (entry == nullptr || !library_) return bad_input(supports(*problem).reason);
    TB_RETURN_IF_ERROR(check_neff_file(*entry));
    TB_ASSIGN_OR_RETURN(const std::vector<char> neff, nrt::read_neff_file(entry->neff_path));
    TB_ASSIGN_OR_RETURN(std::shared_ptr<nrt::NrtRuntime> runtime, acquire_runtime());
    TB_ASSIGN_OR_RETURN(nrt::NrtModel model, nrt::NrtModel::load(*runtime, neff));
    TB_ASSIGN_OR_RETURN(nrt::NrtTensorInfo info, nrt::NrtTensorInfo::query(model));
    TB_RETURN_IF_ERROR(check_tensor_info(*entry, runtime_tensor_info(info)));
    std::string implementation = "Neuron runtime " + version_ + ", NEFF " + entry->neff;
    if (!entry->compiled_with.empty()) implementation += " (" + entry->compiled_with + ")";
    auto workload =
        std::make_unique<NeuronWorkload>(runtime, problem, *entry, std::move(implementation), std::move(model));
    TB_RETURN_IF_ERROR(workload->set_up(*runtime, info, inputs));
    return std::unique_ptr<Workload>(std::move(workload));
  }

  bool measures_externally(const Problem& problem) const override { return problem.collective().has_value(); }

  // nccom-test once per repetition for the problem's one size; each run's
  // median (time:p50(us), else its mean) over its 20 iterations after 5
  // warm-up is one sample; -c checks every element (fp32).
  Expected<ExternalMeasurement> measure_externally(const Problem& problem, int repetitions, double timeout_s) override {
    const std::optional<CollectiveInfo> c = problem.collective();
    if (!c) return bad_input("neuron: " + problem.to_string() + " is not a collective");
    TB_RETURN_IF_ERROR(release_runtime());
    NccomRequest request;
    request.executable = resolve_nccom_test(option(kNeuronNccomTest));
    request.ranks = c->ranks;
    request.min_bytes = request.max_bytes = static_cast<std::int64_t>(problem.min_bytes());
    request.dtype = problem.dtype();
    TB_RETURN_IF_ERROR(check_nccom_request(request));
    if (!nccom_options_) nccom_options_ = probe_nccom_test(request.executable, timeout_s);
    request.options = *nccom_options_;
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
      m.sample_statistic = f.sample.statistic + " of " + std::to_string(request.iters) + " iterations (nccom-test " +
                           f.sample.column + "; bandwidths printed in " + std::string(nccom_unit_name(f.unit)) + ")";
      for (const NccomTime& t : result.rows[0].times) {
        m.tool_statistics_s[t.statistic].push_back(t.us * 1e-6);
      }
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

  // The library, the manifest and nccom-test; nothing that holds a NeuronCore.
  Status open() {
    const std::string given = option(kNeuronManifest);
    const std::string manifest = given.empty() ? std::string(TRAINBENCH_SOURCE_DIR "/") + kDefaultNeffManifest : given;
    TB_ASSIGN_OR_RETURN(manifest_, read_neff_manifest(manifest));
    const char* env = std::getenv(nrt::kRuntimeEnvVar);
    const bool chosen = nrt::runtime_search_order(option(kNeuronRuntime), env != nullptr ? env : "").size() == 1;
    Expected<std::unique_ptr<nrt::NrtLibrary>> library = nrt::open_default_runtime(option(kNeuronRuntime));
    if (library) {
      library_ = std::move(*library);
      TB_ASSIGN_OR_RETURN(const nrt::RuntimeVersion version, nrt::runtime_version(library_->api()));
      version_ = version.to_string();
    } else if (chosen) {
      return library.error();  // a runtime the user named must load: no silent fallback to all-reduce only
    } else {
      runtime_error_ = library.error().message;
    }
    const Expected<std::string> nccom = locate_nccom_test(option(kNeuronNccomTest));
    if (!library_ && !nccom) {
      return unavailable(runtime_error_ + "; and for all-reduce: " + nccom.error().message);
    }
    describe_device(nccom ? *nccom : "not found: " + nccom.error().message);
    return {};
  }

  void describe_device(const std::string& nccom_test) {
    device_.kind = "neuron";
    device_.properties = {{"neuron_runtime_library", library_ ? library_->loaded_from() : "none: " + runtime_error_},
                          {"nccom_test", nccom_test},
                          {"neff_manifest", manifest_.path},
                          {"neff_target", manifest_.target},
                          {"neff_lnc", std::to_string(manifest_.lnc)},
                          {"hardware_verification", kHardwareVerification}};
    std::string instance = option(kNeuronInstanceType);
    std::string instance_source = "--instance-type";
    if (instance.empty() && library_) {
      const Expected<std::string> reported = nrt::instance_type(library_->api());
      instance = reported ? *reported : "";
      instance_source = reported ? "nrt_get_instance_info" : "DMI product name (" + reported.error().message + ")";
    }
    if (instance.empty()) {
      instance = dmi_instance_type();
      if (!library_) instance_source = "DMI product name";
    }
    std::uint32_t visible = 0;
    if (library_) {
      device_.properties.insert(device_.properties.begin(), {"neuron_runtime_version", version_});
      // Not fatal: without a driver the count may fail, and all-reduce needs no runtime.
      const Expected<std::uint32_t> count = nrt::visible_nc_count(library_->api());
      if (count) visible = *count;
      else device_.properties.emplace_back("neuron_visible_cores", "unknown: " + count.error().message);
    }
    device_.compute_units = static_cast<int>(visible);
    device_.name = library_ ? "NeuronCore (" + std::to_string(visible) + " visible)"
                            : "Neuron (all-reduce through nccom-test; no runtime loaded)";
    device_.peak_source = "unknown: give --instance-type (e.g. trn1.32xlarge) for the catalog's peaks";
    if (instance.empty()) return;
    device_.properties.emplace_back("instance_type", instance);
    device_.properties.emplace_back("instance_type_source", instance_source);
    const Expected<InstanceCatalog> catalog = read_instance_catalog(default_instance_catalog_path());
    const Expected<Instance> row = catalog ? catalog->find(instance) : Expected<Instance>(catalog.error());
    if (!row || row->accelerator_count == 0) return;
    // The catalog's figures are per chip. A NEFF of ours runs on one physical
    // NeuronCore (the NKI kernels launch without an SPMD grid, compiled and run
    // with LNC=1): its peak is the chip's over the chip's physical cores, not
    // over the logical cores the runtime counts (two physical each on trn2 by default).
    const int per_chip = physical_cores_per_chip(row->accelerator);
    if (per_chip == 0) return;
    const std::string visible_text = library_ ? ", " + std::to_string(visible) + " visible" : "";
    device_.name = row->accelerator + " NeuronCore (" + instance + visible_text + ")";
    const double cores = per_chip;
    if (row->peak_fp32_tflops) device_.peak_flop_per_s[DType::kFp32] = *row->peak_fp32_tflops * 1e12 / cores;
    if (row->peak_bf16_tflops) {
      device_.peak_flop_per_s[DType::kBf16] = *row->peak_bf16_tflops * 1e12 / cores;
      device_.peak_flop_per_s[DType::kFp16] = *row->peak_bf16_tflops * 1e12 / cores;
    }
    if (row->memory_bandwidth_gb_per_s) device_.memory_bandwidth_bytes_per_s = *row->memory_bandwidth_gb_per_s * 1e9 / cores;
    if (row->accelerator_memory_gib) {
      device_.memory_bytes = static_cast<std::int64_t>(*row->accelerator_memory_gib * 1073741824.0 / cores);
    }
    device_.peak_source = "spec: catalog row " + instance + " (" + row->specs_source + "), per chip / " +
                          std::to_string(per_chip) + " physical NeuronCores per chip: one NEFF runs on one (LNC=" +
                          std::to_string(manifest_.lnc) + ")";
  }

  // The initialised runtime, made on first use, with the manifest's logical
  // core size (use_logical_core_size: a different NEURON_LOGICAL_NC_CONFIG is
  // refused, since the NEFFs would not load or would run on other cores).
  Expected<std::shared_ptr<nrt::NrtRuntime>> acquire_runtime() {
    if (runtime_) return runtime_;
    TB_RETURN_IF_ERROR(use_logical_core_size(manifest_.lnc, "the NEFFs of " + manifest_.path));
    TB_ASSIGN_OR_RETURN(std::unique_ptr<nrt::NrtRuntime> runtime, nrt::NrtRuntime::init(*library_));
    runtime_ = std::move(runtime);
    return runtime_;
  }

  // Closes the runtime (nrt_close) so that another process can have the cores.
  // Fails when a workload still holds it.
  Status release_runtime() {
    std::weak_ptr<nrt::NrtRuntime> held = runtime_;
    runtime_.reset();
    if (!held.expired()) {
      return run_failure("neuron: a GEMM or attention workload still holds the Neuron runtime, and with it the "
                         "NeuronCores nccom-test needs");
    }
    return {};
  }

  BackendOptions options_;
  // Destroyed in reverse: the runtime (nrt_close) before the library (dlclose).
  std::unique_ptr<nrt::NrtLibrary> library_;
  std::shared_ptr<nrt::NrtRuntime> runtime_;  // null until a NEFF runs, and after release_runtime()
  std::string runtime_error_;                 // why there is no library_, when there is none
  std::optional<NccomOptions> nccom_options_;  // probed on the first all-reduce
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
  if (p->op() != ReduceOp::kSum) {
    return {false, "neuron: nccom-test has no reduction-op option (it sums: its all_ones check expects N on N "
                   "ranks), so op=" + std::string(reduce_op_name(p->op())) +
                       " is not what it would run; op=max and op=min run on --backend cpu or cuda"};
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
