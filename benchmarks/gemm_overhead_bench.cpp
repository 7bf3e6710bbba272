// Harness overhead: fp32 GEMM timed as a direct cblas_sgemm loop (Google
// Benchmark's own wall-clock timing) and through trainbench's backend path
// (Backend::prepare -> Workload::run between DeviceTimer start/stop, manual
// time), in one process, interleaved. The ratio of the two is the overhead the
// harness adds. Both use the same seeded inputs and thread count.
//   gemm_overhead_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <thread>

#include "backends/backend_registry.h"
#include "kernels/gemm/gemm_problem.h"

namespace {

std::shared_ptr<const tb::GemmProblem> square(std::int64_t n) {
  return std::make_shared<tb::GemmProblem>(n, n, n, false, false, tb::DType::kFp32);
}

void set_flops(benchmark::State& state, const tb::Problem& p) {
  state.counters["FLOP/s"] = benchmark::Counter(p.flop(), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_DirectSgemm(benchmark::State& state) {
  const auto problem = square(state.range(0));
  std::vector<tb::HostTensor> in = problem->make_inputs(42);
  tb::HostTensor c(problem->output_specs()[0]);
  const auto n = static_cast<blasint>(problem->m());
  const auto* a = reinterpret_cast<const float*>(in[0].data.data());
  const auto* b = reinterpret_cast<const float*>(in[1].data.data());
  auto* cp = reinterpret_cast<float*>(c.data.data());
  openblas_set_num_threads(static_cast<int>(std::thread::hardware_concurrency()));
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, cp, n);
    benchmark::ClobberMemory();
  }
  set_flops(state, *problem);
}

void BM_HarnessSgemm(benchmark::State& state) {
  const auto problem = square(state.range(0));
  auto backend = tb::create_backend("cpu", tb::BackendOptions{});
  if (!backend) {
    state.SkipWithError(backend.error().message.c_str());
    return;
  }
  std::vector<tb::HostTensor> in = problem->make_inputs(42);
  auto workload = (*backend)->prepare(problem, in);
  if (!workload) {
    state.SkipWithError(workload.error().message.c_str());
    return;
  }
  auto timer = (*workload)->make_timer();
  for (auto _ : state) {
    (void)timer->start();
    (void)(*workload)->run();
    (void)timer->stop();
    state.SetIterationTime(*timer->elapsed_seconds());
  }
  set_flops(state, *problem);
}

BENCHMARK(BM_DirectSgemm)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_HarnessSgemm)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->UseManualTime()->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
