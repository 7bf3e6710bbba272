#include "backends/backend_registry.h"

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/cpu_options.h"
#include "backends/cuda/cuda_options.h"
#include "backends/neuron/neuron_backend.h"
#include "backends/neuron/neuron_options.h"
#ifdef TB_HAVE_CUDA
#include "backends/cuda/cuda_backend.h"
#endif

namespace tb {
namespace {

#ifndef TB_HAVE_CUDA
// "cuda" in a build without the CUDA toolkit: listed, never available.
class CudaNotBuilt final : public Backend {
 public:
  std::string_view name() const override { return "cuda"; }
  Status available() const override {
    return unavailable("built without CUDA: reconfigure with -DTRAINBENCH_CUDA=ON on a machine with the CUDA toolkit "
                       "(docs/cuda.md)");
  }
  DeviceInfo device_info() const override { return {}; }
  Support supports(const Problem&) const override { return {false, available().error().message}; }
  std::int64_t device_bytes(const Problem&) const override { return 0; }
  Expected<std::unique_ptr<Workload>> prepare(const ProblemPtr&, const std::vector<HostTensor>&) override {
    return available().error();
  }
};

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions&) { return std::make_unique<CudaNotBuilt>(); }
#endif

}  // namespace

const std::vector<BackendEntry>& backend_entries() {
  static const std::vector<BackendEntry> entries = {
      {"cpu", "host CPU: OpenBLAS for fp32 GEMM, oneDNN for bf16/fp16",
       [](const BackendOptions& o) { return make_cpu_backend(CpuEngine::kDefault, o); }, cpu_options()},
      {"cpu-eigen", "host CPU: Eigen for fp32 GEMM",
       [](const BackendOptions& o) { return make_cpu_backend(CpuEngine::kEigen, o); }, {}},
      {"cpu-onednn", "host CPU: oneDNN for every dtype",
       [](const BackendOptions& o) { return make_cpu_backend(CpuEngine::kOneDnn, o); }, {}},
      {"neuron", "AWS Trainium/Inferentia: NEFFs from the manifest through libnrt (verified against a fake runtime only)",
       [](const BackendOptions& o) { return make_neuron_backend(o); }, neuron_options()},
      {"cuda", "NVIDIA GPU: cuBLASLt GEMM, flash attention, NCCL all-reduce (compiled and tested without a GPU only)",
       [](const BackendOptions& o) { return make_cuda_backend(o); }, cuda_options()},
  };
  return entries;
}

const std::vector<std::string>& auto_backend_order() {
  static const std::vector<std::string> order = {"cuda", "neuron", "cpu"};
  return order;
}

std::string AutoChoice::describe() const {
  std::string text = chosen.empty() ? "auto: no backend is available" : "auto: chose " + chosen;
  for (const PassedOver& p : passed_over) text += "\n  not " + p.name + ": " + p.reason;
  return text;
}

Expected<std::unique_ptr<Backend>> choose_backend(const std::vector<std::string>& order, const BackendFactory& create,
                                                  AutoChoice& choice) {
  choice = AutoChoice{};
  std::unique_ptr<Backend> kept;
  for (const std::string& name : order) {
    if (kept) {
      choice.passed_over.push_back({name, "not tried: " + choice.chosen + " comes first"});
      continue;
    }
    Expected<std::unique_ptr<Backend>> backend = create(name);
    if (!backend) {
      choice.passed_over.push_back({name, backend.error().message});
      continue;
    }
    kept = std::move(*backend);
    choice.chosen = name;
  }
  if (!kept) return unavailable(choice.describe());
  return kept;
}

Expected<std::unique_ptr<Backend>> create_backend(std::string_view name, const BackendOptions& options,
                                                  AutoChoice* choice) {
  if (name == kAutoBackend) {
    AutoChoice local;
    return choose_backend(
        auto_backend_order(), [&](const std::string& n) { return create_backend(n, options); },
        choice != nullptr ? *choice : local);
  }
  std::string known;
  for (const BackendEntry& e : backend_entries()) {
    if (e.name == name) {
      std::unique_ptr<Backend> backend = e.create(options);
      TB_RETURN_IF_ERROR(backend->available());
      return backend;
    }
    known += (known.empty() ? "" : ", ") + e.name;
  }
  return bad_input("unknown backend '" + std::string(name) + "': expected one of auto, " + known +
                   " (trainbench list backends)");
}

}  // namespace tb
