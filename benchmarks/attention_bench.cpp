// Attention on the CPU, every implementation in one process against the fp32
// GEMM rate of the same run (docs/measurements.md, "Attention on the CPU").
// fp32, b = 1, h = 16, s = 2048, d = 128, no mask, kvh = h.
//   BM_Gemm:            cblas_sgemm 2048^3, the cpu backend's fp32 GEMM (OpenBLAS).
//   BM_Fused*:          tb::flash_attention_forward/backward, the backend's fused
//                       candidate (backends/cpu/flash_attention.h).
//   BM_OneDnn*:         tb::OneDnnAttention, the backend's composed candidate
//                       (backends/cpu/onednn_attention.h); its backward uses the P
//                       its forward stored.
//   BM_Torch*:          PyTorch composed: matmul, softmax, matmul (libtorch, the C++
//                       library of Debian's python3-torch); backward = autograd's,
//                       from the forward's saved tensors, the forward untimed.
//                       Built only where libtorch-dev is installed.
// Every buffer is set up outside the timed loop and each benchmark runs once
// untimed first. The composed variants compare that run's outputs with the
// fused kernel's (o forward; dq, dk, dv backward) by ||x - fused|| / ||fused||
// and report an error instead of a time above 1e-4.
// After the benchmarks: the medians as rates and ratios (matmul FLOP each
// implementation performs: forward 2 matmuls = 4 b h s^2 d; fused backward 5,
// composed backward 4), and the fused kernel's phase breakdown.
//   attention_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "backends/cpu/flash_attention.h"
#include "backends/cpu/onednn_attention.h"
#include "kernels/tensor.h"

#ifdef TB_HAVE_TORCH
#include <torch/torch.h>
#endif

namespace {

constexpr std::int64_t kHeads = 16, kSeq = 2048, kDim = 128, kGemm = 2048;

struct Buffers {
  tb::AttentionShape s;
  std::vector<float> q, k, v, o, lse, dout, dq, dk, dv;

  Buffers() {
    s.b = 1;
    s.h = s.kvh = kHeads;
    s.sq = s.skv = kSeq;
    s.d = kDim;
    s.scale = 1.0f / std::sqrt(static_cast<float>(kDim));
    const auto n = static_cast<std::size_t>(kHeads * kSeq * kDim);
    std::uint64_t stream = 0;
    for (auto* t : {&q, &k, &v, &dout}) {
      tb::HostTensor h(tb::TensorSpec{"x", tb::DType::kFp32, {static_cast<std::int64_t>(n)}});
      tb::fill_uniform(h, 42, stream++);
      t->assign(reinterpret_cast<const float*>(h.data.data()), reinterpret_cast<const float*>(h.data.data()) + n);
    }
    for (auto* t : {&o, &dq, &dk, &dv}) t->assign(n, 0.0f);
    lse.assign(static_cast<std::size_t>(kHeads * kSeq), 0.0f);
  }
  tb::AttentionTensors tensors(bool backward) {
    return {q.data(), k.data(), v.data(), o.data(), lse.data(), backward ? dout.data() : nullptr,
            backward ? dq.data() : nullptr, backward ? dk.data() : nullptr, backward ? dv.data() : nullptr};
  }
  void fused_forward(tb::flash_detail::Phases* phases = nullptr) {
    tb::flash_detail::forward<float>(tb::flash_detail::best_isa(), s, q.data(), k.data(), v.data(), o.data(),
                                     lse.data(), phases);
  }
  void fused_backward(tb::flash_detail::Phases* phases = nullptr) {
    tb::flash_detail::backward<float>(tb::flash_detail::best_isa(), s, q.data(), k.data(), v.data(), o.data(),
                                      lse.data(), dout.data(), dq.data(), dk.data(), dv.data(), phases);
  }
};

constexpr double kForwardFlop = 4.0 * kHeads * kSeq * kSeq * kDim;  // two matmuls

// The fused kernel's outputs, computed once per process.
const Buffers& reference() {
  static const Buffers ref = [] {
    Buffers b;
    b.fused_forward();
    b.fused_backward();
    return b;
  }();
  return ref;
}

constexpr double kMaxRelError = 1e-4;

// ||a - b|| / ||b|| (Frobenius), accumulated in double.
double rel_error(const float* a, const std::vector<float>& b) {
  double num = 0.0, den = 0.0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const double diff = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    num += diff * diff;
    den += static_cast<double>(b[i]) * static_cast<double>(b[i]);
  }
  return std::sqrt(num) / std::sqrt(den);
}

// Compares each named output with the fused kernel's; on a mismatch skips the
// benchmark with an error and returns false. Records the largest error as "rel_err".
bool check(benchmark::State& state,
           std::initializer_list<std::tuple<const char*, const float*, const std::vector<float>*>> outputs) {
  std::string bad;
  double worst = 0.0;
  for (const auto& [name, got, want] : outputs) {
    const double err = rel_error(got, *want);
    worst = std::max(worst, err);
    if (!(err <= kMaxRelError)) bad += std::string(bad.empty() ? "" : ", ") + name + " " + std::to_string(err);
  }
  state.counters["rel_err"] = worst;
  if (!bad.empty()) {
    state.SkipWithError(("result differs from the fused kernel's (rel. error > 1e-4): " + bad).c_str());
    return false;
  }
  return true;
}

void set_rate(benchmark::State& state, double flop) {
  state.counters["FLOP/s"] = benchmark::Counter(flop, benchmark::Counter::kIsIterationInvariantRate);
}

// ---------------------------------------------------------------------------

void BM_Gemm(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(kGemm * kGemm);
  std::vector<float> a(n), b(n), c(n);
  tb::HostTensor h(tb::TensorSpec{"x", tb::DType::kFp32, {static_cast<std::int64_t>(2 * n)}});
  tb::fill_uniform(h, 42, 7);
  const float* x = reinterpret_cast<const float*>(h.data.data());
  std::copy(x, x + n, a.begin());
  std::copy(x + n, x + 2 * n, b.begin());
  const int m = static_cast<int>(kGemm);
  auto run = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0f, a.data(), m, b.data(), m, 0.0f, c.data(), m);
  };
  run();
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  set_rate(state, 2.0 * kGemm * kGemm * kGemm);
}

void BM_FusedForward(benchmark::State& state) {
  Buffers b;
  b.fused_forward();
  for (auto _ : state) {
    b.fused_forward();
    benchmark::ClobberMemory();
  }
  set_rate(state, kForwardFlop);
}

void BM_FusedBackward(benchmark::State& state) {
  Buffers b;
  b.fused_forward();
  b.fused_backward();
  for (auto _ : state) {
    b.fused_backward();
    benchmark::ClobberMemory();
  }
  set_rate(state, 2.5 * kForwardFlop);
}

void BM_OneDnnForward(benchmark::State& state) {
  Buffers b;
  auto a = tb::OneDnnAttention::create(b.s, b.tensors(false));
  if (!a.ok() || !a.value()->forward().ok()) return state.SkipWithError("oneDNN composition failed");
  if (!check(state, {{"o", b.o.data(), &reference().o}})) return;
  for (auto _ : state) {
    (void)a.value()->forward();
    benchmark::ClobberMemory();
  }
  state.SetLabel(a.value()->implementation());
  set_rate(state, kForwardFlop);
}

void BM_OneDnnBackward(benchmark::State& state) {
  Buffers b;
  auto a = tb::OneDnnAttention::create(b.s, b.tensors(true));
  if (!a.ok() || !a.value()->forward().ok() || !a.value()->backward().ok()) {
    return state.SkipWithError("oneDNN composition failed");
  }
  const Buffers& ref = reference();
  if (!check(state, {{"dq", b.dq.data(), &ref.dq}, {"dk", b.dk.data(), &ref.dk}, {"dv", b.dv.data(), &ref.dv}})) return;
  for (auto _ : state) {
    (void)a.value()->backward();
    benchmark::ClobberMemory();
  }
  set_rate(state, 2.0 * kForwardFlop);
}

#ifdef TB_HAVE_TORCH
// [1, h, s, d] tensors over copies of the benchmark's inputs.
struct TorchInputs {
  Buffers b;
  torch::Tensor q, k, v, dout;
  explicit TorchInputs(bool grad) {
    at::set_num_threads(omp_get_max_threads());
    const auto tensor = [](std::vector<float>& x) {
      return torch::from_blob(x.data(), {1, kHeads, kSeq, kDim}, torch::kFloat32).clone();
    };
    q = tensor(b.q).requires_grad_(grad);
    k = tensor(b.k).requires_grad_(grad);
    v = tensor(b.v).requires_grad_(grad);
    dout = tensor(b.dout);
  }
  torch::Tensor forward() const {
    return torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * b.s.scale, -1), v);
  }
};

void BM_TorchForward(benchmark::State& state) {
  TorchInputs t(false);
  torch::NoGradGuard no_grad;
  const torch::Tensor o = t.forward().contiguous();
  if (!check(state, {{"o", o.data_ptr<float>(), &reference().o}})) return;
  for (auto _ : state) benchmark::DoNotOptimize(t.forward().data_ptr());
  state.SetLabel("libtorch " TORCH_VERSION);
  set_rate(state, kForwardFlop);
}

void BM_TorchBackward(benchmark::State& state) {
  TorchInputs t(true);
  auto step = [&](benchmark::State* timed) {
    for (torch::Tensor* x : {&t.q, &t.k, &t.v}) x->mutable_grad() = torch::Tensor();
    const torch::Tensor o = t.forward();
    if (timed) timed->ResumeTiming();
    o.backward(t.dout);
    if (timed) timed->PauseTiming();
  };
  step(nullptr);
  const Buffers& ref = reference();
  const torch::Tensor dq = t.q.grad().contiguous(), dk = t.k.grad().contiguous(), dv = t.v.grad().contiguous();
  if (!check(state, {{"dq", dq.data_ptr<float>(), &ref.dq}, {"dk", dk.data_ptr<float>(), &ref.dk},
                     {"dv", dv.data_ptr<float>(), &ref.dv}})) {
    return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    step(&state);
    state.ResumeTiming();
  }
  set_rate(state, 2.0 * kForwardFlop);
}
#endif

#define TB_ATTENTION_BENCH(f) BENCHMARK(f)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0)
TB_ATTENTION_BENCH(BM_Gemm);
TB_ATTENTION_BENCH(BM_FusedForward);
TB_ATTENTION_BENCH(BM_OneDnnForward);
TB_ATTENTION_BENCH(BM_FusedBackward);
TB_ATTENTION_BENCH(BM_OneDnnBackward);
#ifdef TB_HAVE_TORCH
TB_ATTENTION_BENCH(BM_TorchForward);
TB_ATTENTION_BENCH(BM_TorchBackward);
#endif

// ---------------------------------------------------------------------------
// The summary after the benchmarks.

// Google Benchmark's console output, and each benchmark's times kept for the
// summary: its "median" aggregate when repetitions are reported as aggregates,
// else its per-iteration time of every repetition.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& reports) override {
    for (const Run& r : reports) {
      if (r.error_occurred || r.iterations <= 0) continue;
      const double s = r.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(r.time_unit);
      if (r.run_type == Run::RT_Iteration) seconds_[r.run_name.function_name].push_back(s);
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") medians_[r.run_name.function_name] = s;
    }
    ConsoleReporter::ReportRuns(reports);
  }
  // Median over repetitions (s); 0 when the benchmark did not run or failed.
  double median(const std::string& name) const {
    if (const auto m = medians_.find(name); m != medians_.end()) return m->second;
    const auto it = seconds_.find(name);
    if (it == seconds_.end()) return 0.0;
    std::vector<double> t = it->second;
    std::sort(t.begin(), t.end());
    return t.size() % 2 ? t[t.size() / 2] : 0.5 * (t[t.size() / 2 - 1] + t[t.size() / 2]);
  }

 private:
  std::map<std::string, std::vector<double>> seconds_;
  std::map<std::string, double> medians_;
};

void print_summary(const SummaryReporter& r) {
  const double gemm_s = r.median("BM_Gemm");
  const double gemm_rate = gemm_s > 0 ? 2.0 * kGemm * kGemm * kGemm / gemm_s : 0.0;
  std::printf("\n# Attention b=1 h=%lld s=%lld d=%lld fp32, %d threads, fused kernels: %s; medians over repetitions\n",
              static_cast<long long>(kHeads), static_cast<long long>(kSeq), static_cast<long long>(kDim),
              omp_get_max_threads(), tb::flash_detail::isa_name(tb::flash_detail::best_isa()));
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  std::printf("# fp32 GEMM %lld^3 (OpenBLAS): %.1f GFLOP/s, the rate the %%GEMM column is against\n",
              static_cast<long long>(kGemm), gemm_rate / 1e9);
  std::printf("# BLAS: %s; OPENBLAS_CORETYPE=%s\n", openblas_get_config(), coretype ? coretype : "(unset)");
  std::printf("%-20s %-5s %9s %8s %9s %7s %9s\n", "implementation", "pass", "time", "matmuls", "rate", "GEMM",
              "PyTorch");
  std::printf("%-20s %-5s %9s %8s %9s %7s %9s\n", "", "", "ms", "count", "GFLOP/s", "%", "speed-up");
  struct Row {
    const char* label;
    const char* pass;
    const char* name;
    int matmuls;
  };
  const Row rows[] = {{"fused", "fwd", "BM_FusedForward", 2},        {"oneDNN composition", "fwd", "BM_OneDnnForward", 2},
                      {"PyTorch composed", "fwd", "BM_TorchForward", 2}, {"fused", "bwd", "BM_FusedBackward", 5},
                      {"oneDNN composition", "bwd", "BM_OneDnnBackward", 4}, {"PyTorch composed", "bwd", "BM_TorchBackward", 4}};
  for (const Row& row : rows) {
    const double t = r.median(row.name);
    if (t <= 0) {
#ifdef TB_HAVE_TORCH
      const char* why = "";
#else
      const char* why = std::string(row.name).find("Torch") != std::string::npos ? ": built without libtorch-dev" : "";
#endif
      std::printf("%-20s %-5s %9s   (not run%s)\n", row.label, row.pass, "-", why);
      continue;
    }
    const double rate = row.matmuls * kForwardFlop / 2.0 / t;
    const double torch_s = r.median(std::string(row.pass) == "fwd" ? "BM_TorchForward" : "BM_TorchBackward");
    char speedup[32] = "-";
    if (torch_s > 0) std::snprintf(speedup, sizeof speedup, "%.2fx", torch_s / t);
    std::printf("%-20s %-5s %9.1f %8d %9.1f %7.1f %9s\n", row.label, row.pass, t * 1e3, row.matmuls, rate / 1e9,
                gemm_rate > 0 ? 100.0 * rate / gemm_rate : 0.0, speedup);
  }
  for (const char* pass : {"fwd", "bwd"}) {
    const bool fwd = std::string(pass) == "fwd";
    const double fused = r.median(fwd ? "BM_FusedForward" : "BM_FusedBackward");
    const double onednn = r.median(fwd ? "BM_OneDnnForward" : "BM_OneDnnBackward");
    if (fused <= 0 || onednn <= 0) continue;
    std::printf("# %s: the backend's auto choice would be the %s (%.1f%% faster than the other)\n", pass,
                fused <= onednn ? "fused kernel" : "oneDNN composition",
                100.0 * (std::max(fused, onednn) / std::min(fused, onednn) - 1.0));
  }

  // The fused kernel's phases, one run each after a warm-up.
  Buffers b;
  tb::flash_detail::Phases fwd, bwd;
  b.fused_forward();
  b.fused_forward(&fwd);
  b.fused_backward();
  b.fused_backward(&bwd);
  std::printf("\n# Fused kernel, where the time goes (thread-seconds per phase, one run each)\n");
  std::printf("%-8s %9s %6s %9s %6s\n", "phase", "fwd", "", "bwd", "");
  std::printf("%-8s %9s %6s %9s %6s\n", "", "ms", "%", "ms", "%");
  const double ft = fwd.matmul_s + fwd.exp_s + fwd.reduce_s + fwd.other_s;
  const double bt = bwd.matmul_s + bwd.exp_s + bwd.reduce_s + bwd.other_s;
  const std::tuple<const char*, double, double> phases[] = {{"matmul", fwd.matmul_s, bwd.matmul_s},
                                                            {"exp", fwd.exp_s, bwd.exp_s},
                                                            {"reduce", fwd.reduce_s, bwd.reduce_s},
                                                            {"other", fwd.other_s, bwd.other_s}};
  for (const auto& [name, f, bw] : phases) {
    std::printf("%-8s %9.1f %6.1f %9.1f %6.1f\n", name, f * 1e3, 100.0 * f / ft, bw * 1e3, 100.0 * bw / bt);
  }
  std::printf("# matmul rate inside the kernel: fwd %.1f GFLOP/s, bwd %.1f GFLOP/s (matmul FLOP / matmul seconds x threads)\n",
              kForwardFlop / (fwd.matmul_s / omp_get_max_threads()) / 1e9,
              2.5 * kForwardFlop / (bwd.matmul_s / omp_get_max_threads()) / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_summary(reporter);
  benchmark::Shutdown();
  return 0;
}
