// Fused (flash) attention against attention composed from library calls, in
// one process: per (batch, head) S = scale*Q*K^T and O = P*V through OpenBLAS
// cblas_sgemm on all threads, with a row softmax between them (OpenMP over
// rows), materializing the sq x skv score matrix of one head at a time. The
// composed backward recomputes P the same way, then dV = P^T dO, dP = dO V^T,
// dS = P * (dP - rowsum(dO * O)), dQ = scale*dS*K, dK = scale*dS^T*Q.
// fp32, no mask, kvh = h. FLOP/s use the 4*b*h*sq*skv*d forward count (x2.5 backward).
//   attention_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "backends/cpu/flash_attention.h"
#include "kernels/tensor.h"

namespace {

struct Buffers {
  tb::AttentionShape s;
  std::vector<float> q, k, v, o, lse, dout, dq, dk, dv, scores, dscores;

  explicit Buffers(std::int64_t heads, std::int64_t seq, std::int64_t d) {
    s.b = 1;
    s.h = s.kvh = heads;
    s.sq = s.skv = seq;
    s.d = d;
    s.scale = 1.0f / std::sqrt(static_cast<float>(d));
    const auto n = static_cast<std::size_t>(heads * seq * d);
    std::uint64_t stream = 0;
    for (auto* t : {&q, &k, &v, &dout}) {
      tb::HostTensor h(tb::TensorSpec{"x", tb::DType::kFp32, {static_cast<std::int64_t>(n)}});
      tb::fill_uniform(h, 42, stream++);
      t->assign(reinterpret_cast<const float*>(h.data.data()), reinterpret_cast<const float*>(h.data.data()) + n);
    }
    o.resize(n);
    dq.resize(n);
    dk.resize(n);
    dv.resize(n);
    lse.resize(static_cast<std::size_t>(heads * seq));
    scores.resize(static_cast<std::size_t>(seq * seq));
    dscores.resize(static_cast<std::size_t>(seq * seq));
  }
  double forward_flop() const { return 4.0 * s.b * s.h * s.sq * s.skv * s.d; }
};

// P = softmax(scale * Q K^T) for one head, in `p` (sq x skv).
void composed_probabilities(const Buffers& b, const float* q, const float* k, float* p) {
  const auto n = static_cast<int>(b.s.sq), d = static_cast<int>(b.s.d);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d, b.s.scale, q, d, k, d, 0.0f, p, n);
#pragma omp parallel for
  for (int i = 0; i < n; ++i) {
    float* row = p + static_cast<std::size_t>(i) * n;
    float max = row[0];
    for (int j = 1; j < n; ++j) max = std::max(max, row[j]);
    float sum = 0.0f;
    for (int j = 0; j < n; ++j) sum += (row[j] = std::exp(row[j] - max));
    const float inv = 1.0f / sum;
    for (int j = 0; j < n; ++j) row[j] *= inv;
  }
}

void BM_ComposedForward(benchmark::State& state) {
  Buffers b(state.range(0), state.range(1), state.range(2));
  const auto n = static_cast<int>(b.s.sq), d = static_cast<int>(b.s.d);
  for (auto _ : state) {
    for (std::int64_t h = 0; h < b.s.h; ++h) {
      const std::size_t off = static_cast<std::size_t>(h * b.s.sq * b.s.d);
      composed_probabilities(b, &b.q[off], &b.k[off], b.scores.data());
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, n, 1.0f, b.scores.data(), n, &b.v[off], d, 0.0f,
                  &b.o[off], d);
    }
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] = benchmark::Counter(b.forward_flop(), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_FusedForward(benchmark::State& state) {
  Buffers b(state.range(0), state.range(1), state.range(2));
  for (auto _ : state) {
    tb::flash_attention_forward<float>(b.s, b.q.data(), b.k.data(), b.v.data(), b.o.data(), b.lse.data());
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] = benchmark::Counter(b.forward_flop(), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ComposedBackward(benchmark::State& state) {
  Buffers b(state.range(0), state.range(1), state.range(2));
  const auto n = static_cast<int>(b.s.sq), d = static_cast<int>(b.s.d);
  tb::flash_attention_forward<float>(b.s, b.q.data(), b.k.data(), b.v.data(), b.o.data(), b.lse.data());
  std::vector<float> rowdot(static_cast<std::size_t>(n));
  for (auto _ : state) {
    for (std::int64_t h = 0; h < b.s.h; ++h) {
      const std::size_t off = static_cast<std::size_t>(h * b.s.sq * b.s.d);
      float* p = b.scores.data();
      float* ds = b.dscores.data();
      composed_probabilities(b, &b.q[off], &b.k[off], p);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, d, n, 1.0f, p, n, &b.dout[off], d, 0.0f, &b.dv[off], d);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d, 1.0f, &b.dout[off], d, &b.v[off], d, 0.0f, ds, n);
#pragma omp parallel for
      for (int i = 0; i < n; ++i) {
        float dot = 0.0f;
        for (int c = 0; c < d; ++c) dot += b.dout[off + static_cast<std::size_t>(i * d + c)] * b.o[off + static_cast<std::size_t>(i * d + c)];
        for (int j = 0; j < n; ++j) {
          const std::size_t ij = static_cast<std::size_t>(i) * n + j;
          ds[ij] = p[ij] * (ds[ij] - dot);
        }
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, n, b.s.scale, ds, n, &b.k[off], d, 0.0f, &b.dq[off], d);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, d, n, b.s.scale, ds, n, &b.q[off], d, 0.0f, &b.dk[off], d);
    }
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(2.5 * b.forward_flop(), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_FusedBackward(benchmark::State& state) {
  Buffers b(state.range(0), state.range(1), state.range(2));
  tb::flash_attention_forward<float>(b.s, b.q.data(), b.k.data(), b.v.data(), b.o.data(), b.lse.data());
  for (auto _ : state) {
    tb::flash_attention_backward<float>(b.s, b.q.data(), b.k.data(), b.v.data(), b.o.data(), b.lse.data(),
                                        b.dout.data(), b.dq.data(), b.dk.data(), b.dv.data());
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(2.5 * b.forward_flop(), benchmark::Counter::kIsIterationInvariantRate);
}

// Args: heads, sequence length, head dim (batch 1).
BENCHMARK(BM_ComposedForward)->Args({16, 2048, 128})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_FusedForward)->Args({16, 2048, 128})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_ComposedBackward)->Args({16, 2048, 128})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_FusedBackward)->Args({16, 2048, 128})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
