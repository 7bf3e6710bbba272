// Fused (flash) attention against attention composed from library calls, in
// one process. fp32, batch 1, no mask, kvh = h; FLOP/s use the 4*b*h*sq*skv*d
// forward count (x2.5 backward). Six benchmarks:
//   BM_FusedForward / BM_FusedBackward: tb::flash_attention_forward/backward
//     (backends/cpu/flash_attention.h), OpenMP threads.
//   BM_ComposedBlasForward / BM_ComposedBlasBackward: per head, S = scale*Q*K^T
//     and O = P*V through OpenBLAS cblas_sgemm (its own pthread pool), with a
//     hand-written row softmax between them (OpenMP over rows, scalar std::exp),
//     materializing the sq x skv score matrix of one head at a time. The
//     backward recomputes P the same way, then dV = P^T dO, dP = dO V^T,
//     dS = P * (dP - rowsum(dO * O)), dQ = scale*dS*K, dK = scale*dS^T*Q.
//   BM_ComposedOneDnnForward / BM_ComposedOneDnnBackward: the same algebra with
//     oneDNN primitives over all heads at once, on oneDNN's OpenMP threads:
//     batched matmuls on 3-D [h, rows, cols] memory (transposed operands are
//     the same buffers described with format tag acb), the scale applied as the
//     matmul's output scale (primitive attribute), and oneDNN's softmax_forward
//     (in place on S, last axis) and softmax_backward (dS = P*(dP - rowsum(dP*P)),
//     in place on dP; equal to the FlashAttention form since rowsum(dP*P) =
//     rowsum(dO*O)). All h score matrices are materialized at once
//     (h*sq*skv floats: S/P forward, P and dP backward).
// Every primitive, memory object and buffer is created outside the timed loop,
// and each benchmark runs its computation once untimed before it (warm-up,
// first touch of the buffers). The composed variants compare that untimed
// result with the fused kernel's on the same inputs (O forward; dQ, dK, dV
// backward) by ||composed - fused|| / ||fused|| and report an error instead of
// a time when it exceeds 1e-4.
//   attention_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <dnnl.hpp>
#include <map>
#include <string>
#include <tuple>
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

// ---------------------------------------------------------------------------
// Correctness reference: the fused kernel's outputs on the inputs Buffers
// generates for a shape, computed once per process and shape.

struct Reference {
  std::vector<float> o, dq, dk, dv;
};

const Reference& fused_reference(std::int64_t heads, std::int64_t seq, std::int64_t d) {
  static std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, Reference> cache;
  const auto key = std::make_tuple(heads, seq, d);
  auto it = cache.find(key);
  if (it == cache.end()) {
    Buffers b(heads, seq, d);
    tb::flash_attention_forward<float>(b.s, b.q.data(), b.k.data(), b.v.data(), b.o.data(), b.lse.data());
    tb::flash_attention_backward<float>(b.s, b.q.data(), b.k.data(), b.v.data(), b.o.data(), b.lse.data(),
                                        b.dout.data(), b.dq.data(), b.dk.data(), b.dv.data());
    it = cache.emplace(key, Reference{b.o, b.dq, b.dk, b.dv}).first;
  }
  return it->second;
}

constexpr double kMaxRelError = 1e-4;

// ||a - b|| / ||b|| (Frobenius), accumulated in double.
double rel_error(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0.0, den = 0.0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const double diff = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    num += diff * diff;
    den += static_cast<double>(b[i]) * static_cast<double>(b[i]);
  }
  return std::sqrt(num) / std::sqrt(den);
}

// Compares each named output with the reference; on a mismatch skips the
// benchmark with an error and returns false. Otherwise records the largest
// error as the counter "rel_err".
bool check(benchmark::State& state, std::initializer_list<std::tuple<const char*, const std::vector<float>*,
                                                                      const std::vector<float>*>> outputs) {
  std::string bad;
  double worst = 0.0;
  for (const auto& [name, got, want] : outputs) {
    const double err = rel_error(*got, *want);
    worst = std::max(worst, err);
    if (!(err <= kMaxRelError)) bad += std::string(bad.empty() ? "" : ", ") + name + " " + std::to_string(err);
  }
  state.counters["rel_err"] = worst;
  if (!bad.empty()) {
    state.SkipWithError(("composed result differs from the fused kernel's (rel. error > 1e-4): " + bad).c_str());
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// OpenBLAS composition, one head at a time.

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

void blas_forward(Buffers& b) {
  const auto n = static_cast<int>(b.s.sq), d = static_cast<int>(b.s.d);
  for (std::int64_t h = 0; h < b.s.h; ++h) {
    const std::size_t off = static_cast<std::size_t>(h * b.s.sq * b.s.d);
    composed_probabilities(b, &b.q[off], &b.k[off], b.scores.data());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, n, 1.0f, b.scores.data(), n, &b.v[off], d, 0.0f,
                &b.o[off], d);
  }
}

// Needs b.o (the forward output) for rowsum(dO * O).
void blas_backward(Buffers& b) {
  const auto n = static_cast<int>(b.s.sq), d = static_cast<int>(b.s.d);
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
}

void BM_ComposedBlasForward(benchmark::State& state) {
  Buffers b(state.range(0), state.range(1), state.range(2));
  const Reference& ref = fused_reference(state.range(0), state.range(1), state.range(2));
  blas_forward(b);
  if (!check(state, {{"O", &b.o, &ref.o}})) return;
  for (auto _ : state) {
    blas_forward(b);
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] = benchmark::Counter(b.forward_flop(), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ComposedBlasBackward(benchmark::State& state) {
  Buffers b(state.range(0), state.range(1), state.range(2));
  const Reference& ref = fused_reference(state.range(0), state.range(1), state.range(2));
  tb::flash_attention_forward<float>(b.s, b.q.data(), b.k.data(), b.v.data(), b.o.data(), b.lse.data());
  blas_backward(b);
  if (!check(state, {{"dQ", &b.dq, &ref.dq}, {"dK", &b.dk, &ref.dk}, {"dV", &b.dv, &ref.dv}})) return;
  for (auto _ : state) {
    blas_backward(b);
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(2.5 * b.forward_flop(), benchmark::Counter::kIsIterationInvariantRate);
}

// ---------------------------------------------------------------------------
// oneDNN composition, all heads in each primitive.

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// A batched matmul dst[h] = alpha * src[h] x weights[h] on 3-D descriptors.
dnnl::matmul make_matmul(const dnnl::engine& eng, const dnnl::memory::desc& src, const dnnl::memory::desc& wei,
                         const dnnl::memory::desc& dst, float alpha, std::string* impl) {
  dnnl::primitive_attr attr;
  if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, wei, dst), attr, eng);
  *impl += std::string(impl->empty() ? "" : " ") + pd.impl_info_str();
  return dnnl::matmul(pd);
}

struct OneDnnAttention {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  std::vector<float> p, dp;  // h x sq x skv: S then P (in place); dP then dS (in place)
  dnnl::memory q, k, v, o, dout, dq, dk, dv;
  dnnl::memory kt, vt;  // K^T, V^T: the [h, s, d] buffers as logical [h, d, s] (tag acb)
  dnnl::memory p_mem, dp_mem;  // [h, sq, skv] views ...
  dnnl::memory pt_mem, dpt_mem;  // ... and [h, skv, sq] transposed views of the same buffers
  dnnl::matmul qk, pv, pt_do, do_vt, ds_k, dst_q;
  dnnl::softmax_forward softmax;
  dnnl::softmax_backward softmax_bwd;
  std::string impl;

  OneDnnAttention(Buffers& b, bool backward) {
    const dnnl::memory::dim h = b.s.h, s = b.s.sq, d = b.s.d;
    const dnnl::memory::desc x_md({h, s, d}, dt::f32, tag::abc);    // Q, K, V, O, dO, dQ, dK, dV
    const dnnl::memory::desc xt_md({h, d, s}, dt::f32, tag::acb);   // K^T, V^T: the same storage
    const dnnl::memory::desc ss_md({h, s, s}, dt::f32, tag::abc);   // S, P, dP, dS
    const dnnl::memory::desc sst_md({h, s, s}, dt::f32, tag::acb);  // P^T, dS^T
    p.assign(static_cast<std::size_t>(h * s * s), 0.0f);
    q = dnnl::memory(x_md, eng, b.q.data());
    k = dnnl::memory(x_md, eng, b.k.data());
    v = dnnl::memory(x_md, eng, b.v.data());
    o = dnnl::memory(x_md, eng, b.o.data());
    p_mem = dnnl::memory(ss_md, eng, p.data());
    kt = dnnl::memory(xt_md, eng, b.k.data());

    qk = make_matmul(eng, x_md, xt_md, ss_md, b.s.scale, &impl);
    const auto prop = backward ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    const dnnl::softmax_forward::primitive_desc sm_pd(dnnl::softmax_forward::desc(prop, ss_md, 2), eng);
    impl += " " + std::string(sm_pd.impl_info_str());
    softmax = dnnl::softmax_forward(sm_pd);
    if (!backward) {
      pv = make_matmul(eng, ss_md, x_md, x_md, 1.0f, &impl);
      return;
    }
    dp.assign(static_cast<std::size_t>(h * s * s), 0.0f);
    dout = dnnl::memory(x_md, eng, b.dout.data());
    dq = dnnl::memory(x_md, eng, b.dq.data());
    dk = dnnl::memory(x_md, eng, b.dk.data());
    dv = dnnl::memory(x_md, eng, b.dv.data());
    dp_mem = dnnl::memory(ss_md, eng, dp.data());
    pt_mem = dnnl::memory(sst_md, eng, p.data());
    dpt_mem = dnnl::memory(sst_md, eng, dp.data());
    vt = dnnl::memory(xt_md, eng, b.v.data());
    pt_do = make_matmul(eng, sst_md, x_md, x_md, 1.0f, &impl);          // dV = P^T dO
    do_vt = make_matmul(eng, x_md, xt_md, ss_md, 1.0f, &impl);          // dP = dO V^T
    const dnnl::softmax_backward::primitive_desc smb_pd(dnnl::softmax_backward::desc(ss_md, ss_md, 2), eng, sm_pd);
    impl += " " + std::string(smb_pd.impl_info_str());
    softmax_bwd = dnnl::softmax_backward(smb_pd);
    ds_k = make_matmul(eng, ss_md, x_md, x_md, b.s.scale, &impl);   // dQ = scale dS K
    dst_q = make_matmul(eng, sst_md, x_md, x_md, b.s.scale, &impl);  // dK = scale dS^T Q
  }

  // P = softmax(scale Q K^T) in p.
  void probabilities() {
    qk.execute(strm, {{DNNL_ARG_SRC, q}, {DNNL_ARG_WEIGHTS, kt}, {DNNL_ARG_DST, p_mem}});
    softmax.execute(strm, {{DNNL_ARG_SRC, p_mem}, {DNNL_ARG_DST, p_mem}});
  }
};

void BM_ComposedOneDnnForward(benchmark::State& state) {
  Buffers b(state.range(0), state.range(1), state.range(2));
  const Reference& ref = fused_reference(state.range(0), state.range(1), state.range(2));
  OneDnnAttention a(b, /*backward=*/false);
  auto run = [&] {
    a.probabilities();
    a.pv.execute(a.strm, {{DNNL_ARG_SRC, a.p_mem}, {DNNL_ARG_WEIGHTS, a.v}, {DNNL_ARG_DST, a.o}});
    a.strm.wait();
  };
  run();
  if (!check(state, {{"O", &b.o, &ref.o}})) return;
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  state.SetLabel(a.impl);
  state.counters["FLOP/s"] = benchmark::Counter(b.forward_flop(), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ComposedOneDnnBackward(benchmark::State& state) {
  Buffers b(state.range(0), state.range(1), state.range(2));
  const Reference& ref = fused_reference(state.range(0), state.range(1), state.range(2));
  OneDnnAttention a(b, /*backward=*/true);
  auto run = [&] {
    a.probabilities();
    a.pt_do.execute(a.strm, {{DNNL_ARG_SRC, a.pt_mem}, {DNNL_ARG_WEIGHTS, a.dout}, {DNNL_ARG_DST, a.dv}});
    a.do_vt.execute(a.strm, {{DNNL_ARG_SRC, a.dout}, {DNNL_ARG_WEIGHTS, a.vt}, {DNNL_ARG_DST, a.dp_mem}});
    a.softmax_bwd.execute(a.strm,
                          {{DNNL_ARG_DST, a.p_mem}, {DNNL_ARG_DIFF_DST, a.dp_mem}, {DNNL_ARG_DIFF_SRC, a.dp_mem}});
    a.ds_k.execute(a.strm, {{DNNL_ARG_SRC, a.dp_mem}, {DNNL_ARG_WEIGHTS, a.k}, {DNNL_ARG_DST, a.dq}});
    a.dst_q.execute(a.strm, {{DNNL_ARG_SRC, a.dpt_mem}, {DNNL_ARG_WEIGHTS, a.q}, {DNNL_ARG_DST, a.dk}});
    a.strm.wait();
  };
  run();
  if (!check(state, {{"dQ", &b.dq, &ref.dq}, {"dK", &b.dk, &ref.dk}, {"dV", &b.dv, &ref.dv}})) return;
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  state.SetLabel(a.impl);
  state.counters["FLOP/s"] =
      benchmark::Counter(2.5 * b.forward_flop(), benchmark::Counter::kIsIterationInvariantRate);
}

// ---------------------------------------------------------------------------
// Fused kernel.

void BM_FusedForward(benchmark::State& state) {
  Buffers b(state.range(0), state.range(1), state.range(2));
  tb::flash_attention_forward<float>(b.s, b.q.data(), b.k.data(), b.v.data(), b.o.data(), b.lse.data());  // warm-up
  for (auto _ : state) {
    tb::flash_attention_forward<float>(b.s, b.q.data(), b.k.data(), b.v.data(), b.o.data(), b.lse.data());
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] = benchmark::Counter(b.forward_flop(), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_FusedBackward(benchmark::State& state) {
  Buffers b(state.range(0), state.range(1), state.range(2));
  tb::flash_attention_forward<float>(b.s, b.q.data(), b.k.data(), b.v.data(), b.o.data(), b.lse.data());
  auto run = [&] {
    tb::flash_attention_backward<float>(b.s, b.q.data(), b.k.data(), b.v.data(), b.o.data(), b.lse.data(),
                                        b.dout.data(), b.dq.data(), b.dk.data(), b.dv.data());
  };
  run();  // warm-up
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(2.5 * b.forward_flop(), benchmark::Counter::kIsIterationInvariantRate);
}

// Args: heads, sequence length, head dim (batch 1).
BENCHMARK(BM_ComposedBlasForward)->Args({16, 2048, 128})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_ComposedOneDnnForward)->Args({16, 2048, 128})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_FusedForward)->Args({16, 2048, 128})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_ComposedBlasBackward)->Args({16, 2048, 128})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_ComposedOneDnnBackward)->Args({16, 2048, 128})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_FusedBackward)->Args({16, 2048, 128})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
