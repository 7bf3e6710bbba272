// The Neuron adapter's cost per execution: Workload::run() of the neuron
// backend (one nrt_execute through NrtModel and the tensor sets) against the
// fake runtime in its no-op mode (FAKE_NRT_NOOP=1: nrt_execute returns at
// once), and, as the floor, the fake's nrt_execute called directly through the
// resolved entry point. The difference is what the adapter adds per call
// (issue target: under 5 us). Needs the fake runtime the tests build:
//   neuron_overhead_bench <path to libfake_nrt.so> --benchmark_repetitions=5
// A real runtime's own cost per call (tens of microseconds) is not measured here.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "backends/neuron/neuron_backend.h"
#include "backends/neuron/nrt_handles.h"
#include "backends/neuron/nrt_library.h"
#include "kernels/kernel_registry.h"

namespace {

namespace fs = std::filesystem;

std::string g_runtime;  // the fake's path (argv[1])
fs::path g_dir;         // the manifest and fake NEFF written for this run
constexpr const char* kProblem = "gemm:m=64,n=32,k=16,dtype=fp32";

void write_files() {
  g_dir = fs::temp_directory_path() / ("trainbench-neuron-bench-" + std::to_string(::getpid()));
  fs::create_directories(g_dir);
  std::ofstream(g_dir / "g.neff") << "FAKE-NEFF 1\nkernel " << kProblem
                                  << "\ninput a fp32 64,16\ninput b fp32 16,32\noutput c fp32 64,32\n";
  std::ofstream(g_dir / "manifest.json")
      << "{\"manifest_version\": 1, \"target\": \"trn1\", \"neffs\": [{\"problem\": \"" << kProblem
      << "\", \"neff\": \"g.neff\", \"inputs\": [{\"name\": \"a\", \"dtype\": \"fp32\", \"shape\": [64, 16]}, "
         "{\"name\": \"b\", \"dtype\": \"fp32\", \"shape\": [16, 32]}], \"outputs\": [{\"name\": \"c\", \"dtype\": "
         "\"fp32\", \"shape\": [64, 32]}]}]}";
}

void BM_AdapterRun(benchmark::State& state) {
  tb::BackendOptions options;
  options.values["--neuron-runtime"] = g_runtime;
  options.values["--neuron-manifest"] = (g_dir / "manifest.json").string();
  const std::unique_ptr<tb::Backend> backend = tb::make_neuron_backend(options);
  if (tb::Status s = backend->available(); !s) return state.SkipWithError(s.error().message.c_str());
  const tb::ProblemPtr problem = *tb::parse_problem(kProblem);
  tb::Expected<std::unique_ptr<tb::Workload>> w = backend->prepare(problem, problem->make_inputs(42));
  if (!w) return state.SkipWithError(w.error().message.c_str());
  for (auto _ : state) {
    if (tb::Status s = (*w)->run(); !s) return state.SkipWithError(s.error().message.c_str());
  }
}

void BM_DirectExecute(benchmark::State& state) {
  tb::Expected<std::unique_ptr<tb::nrt::NrtLibrary>> lib = tb::nrt::NrtLibrary::open(g_runtime);
  if (!lib) return state.SkipWithError(lib.error().message.c_str());
  tb::Expected<std::unique_ptr<tb::nrt::NrtRuntime>> rt = tb::nrt::NrtRuntime::init(**lib);
  if (!rt) return state.SkipWithError(rt.error().message.c_str());
  const std::vector<char> neff = *tb::nrt::read_neff_file((g_dir / "g.neff").string());
  tb::Expected<tb::nrt::NrtModel> model = tb::nrt::NrtModel::load(**rt, neff);
  if (!model) return state.SkipWithError(model.error().message.c_str());
  tb::nrt::NrtTensorSet in = tb::nrt::NrtTensorSet::allocate(**rt).value();
  tb::nrt::NrtTensorSet out = tb::nrt::NrtTensorSet::allocate(**rt).value();
  tb::nrt::NrtTensor a = tb::nrt::NrtTensor::allocate(**rt, 64 * 16 * 4, "a").value();
  tb::nrt::NrtTensor b = tb::nrt::NrtTensor::allocate(**rt, 16 * 32 * 4, "b").value();
  tb::nrt::NrtTensor c = tb::nrt::NrtTensor::allocate(**rt, 64 * 32 * 4, "c").value();
  (void)in.add(a);
  (void)in.add(b);
  (void)out.add(c);
  const auto execute = (*lib)->api().nrt_execute;
  for (auto _ : state) {
    if (execute(model->get(), in.get(), out.get()) != 0) return state.SkipWithError("nrt_execute failed");
  }
}

BENCHMARK(BM_DirectExecute);
BENCHMARK(BM_AdapterRun);

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: neuron_overhead_bench <path to libfake_nrt.so> [benchmark flags]\n");
    return 2;
  }
  g_runtime = argv[1];
  ::setenv("FAKE_NRT_NOOP", "1", 1);
  write_files();
  int rest = argc - 1;
  benchmark::Initialize(&rest, argv + 1);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(g_dir, ec);
  return 0;
}
