// Private to backends/cpu/flash_attention*.cpp: the fused attention kernels,
// written once over a GCC/Clang vector type and compiled once per instruction
// set (flash_attention.cpp: baseline; flash_attention_avx2.cpp and
// flash_attention_avx512.cpp: with -mavx2 / -mavx512* for their file only).
//
// Part 1 (always): the flattened shape, the tile sizes, the scratch sizes and
// the declarations of every variant's entry points.
// Part 2 (when TB_FLASH_VL is defined by the including file): the kernels.
//
// Because part 2 is compiled with different target flags in different files,
// everything in it has internal linkage (anonymous namespace) and it calls no
// inline function of the standard library or of other project headers (those
// are emitted as weak symbols that the linker may pick from the AVX-512 file
// for use everywhere): only builtins, C functions and OpenMP.
#pragma once

#include <omp.h>

#include <cstdint>

namespace tb::flash_detail {

using Index = std::int64_t;

// An AttentionShape checked by the dispatcher (extents >= 1, h % kvh == 0).
struct Dims {
  Index b, h, kvh, sq, skv, d;
  bool causal;
  float scale;
};

constexpr Index kLanes = 64;      // vector-lane tile width: queries (forward, dq pass) or keys (dk/dv pass)
constexpr Index kKeyRows = 128;   // keys per tile in the forward and the dq pass
constexpr Index kQueryRows = 64;  // queries per tile in the dk/dv pass

namespace {
constexpr Index round16(Index n) { return (n + 15) / 16 * 16; }  // 64-byte multiples of floats
}  // namespace

// Floats of scratch per thread.
constexpr Index forward_workspace(Index d) {
  return 2 * round16(d * kLanes) + round16(kKeyRows * kLanes) + 2 * round16(kKeyRows * d) + 3 * kLanes;
}
constexpr Index backward_workspace(Index d) {
  const Index kv_pass = 4 * round16(d * kLanes) + 2 * round16(kQueryRows * kLanes) + 3 * round16(kQueryRows * d) +
                        2 * round16(kQueryRows);
  const Index q_pass = 3 * round16(d * kLanes) + 2 * round16(kKeyRows * kLanes) + 2 * round16(kKeyRows * d) +
                       2 * kLanes + round16(d);
  return kv_pass > q_pass ? kv_pass : q_pass;
}

// `work` holds `threads` slices of `stride` floats, 64-byte aligned.
#define TB_FLASH_DECLARE_ISA(isa)                                                                                \
  template <typename T>                                                                                          \
  void forward_##isa(const Dims& s, const T* q, const T* k, const T* v, T* o, float* lse, float* work,          \
                     Index stride, int threads);                                                                 \
  template <typename T>                                                                                          \
  void backward_##isa(const Dims& s, const T* q, const T* k, const T* v, const T* o, const float* lse,          \
                      const T* dout, T* dq, T* dk, T* dv, float* work, Index stride, int threads);

TB_FLASH_DECLARE_ISA(portable)
TB_FLASH_DECLARE_ISA(avx2)
TB_FLASH_DECLARE_ISA(avx512)

}  // namespace tb::flash_detail

#ifdef TB_FLASH_VL

namespace tb::flash_detail {
namespace {

constexpr int kVL = TB_FLASH_VL;  // floats per vector register
constexpr int kMR = TB_FLASH_MR;  // rows of the register tile of the micro-kernel
constexpr int kNV = TB_FLASH_NV;  // vectors per row of the register tile
static_assert(kLanes % (kVL * kNV) == 0, "lane tiles must be whole register tiles");

typedef float Vec __attribute__((vector_size(kVL * sizeof(float))));
typedef float VecU __attribute__((vector_size(kVL * sizeof(float)), aligned(4), may_alias));
typedef std::int32_t VecI __attribute__((vector_size(kVL * sizeof(float))));

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;
constexpr float kInf = __builtin_inff();

inline Index imin(Index a, Index b) { return a < b ? a : b; }
inline Index imax(Index a, Index b) { return a > b ? a : b; }

inline Vec splat(float x) { return Vec{} + x; }
inline Vec load(const float* p) { return *reinterpret_cast<const VecU*>(p); }
inline void store(float* p, Vec v) { *reinterpret_cast<VecU*>(p) = v; }
inline Vec vmax(Vec a, Vec b) { return a > b ? a : b; }
inline Vec lane_index(int first) {  // first, first + 1, ...
  Vec v;
  for (int i = 0; i < kVL; ++i) v[i] = static_cast<float>(first + i);
  return v;
}

// 2^x, relative error about 2e-8 (Cephes exp2f polynomial on [-0.5, 0.5]).
// x <= -127 (-inf included) gives 0; NaN propagates.
inline Vec exp2v(Vec x) {
  x = x < -127.0f ? splat(-127.0f) : x;
  x = x > 127.0f ? splat(127.0f) : x;
  const Vec magic = splat(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  const Vec n = (x + magic) - magic;
  const Vec f = x - n;  // [-0.5, 0.5]
  Vec p = splat(1.535336188319500e-4f);
  p = p * f + 1.339887440266574e-3f;
  p = p * f + 9.618437357674640e-3f;
  p = p * f + 5.550332471162809e-2f;
  p = p * f + 2.402264791363012e-1f;
  p = p * f + 6.931472028550421e-1f;
  p = p * f + 1.0f;
  const VecI e = (__builtin_convertvector(n, VecI) + 127) << 23;  // 2^n; n = -127 gives 0
  return p * (Vec)e;  // GCC/Clang vector cast: reinterprets the bits
}

// ---- element conversions ----
inline float widen(float x) { return x; }
inline float widen(std::uint16_t x) { return __builtin_bit_cast(float, static_cast<std::uint32_t>(x) << 16); }
inline void put(float* p, float x) { *p = x; }
inline void put(std::uint16_t* p, float x) {  // round to nearest, ties to even (as tb::float_to_bf16)
  const std::uint32_t bits = __builtin_bit_cast(std::uint32_t, x);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {
    *p = static_cast<std::uint16_t>((bits >> 16) | 0x40);
    return;
  }
  *p = static_cast<std::uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

// n contiguous elements as fp32: the data itself for float, else widened into `scratch`.
inline const float* as_f32(const float* src, Index, float*) { return src; }
inline const float* as_f32(const std::uint16_t* __restrict src, Index n, float* __restrict scratch) {
  for (Index i = 0; i < n; ++i) scratch[i] = widen(src[i]);
  return scratch;
}

inline void fill(float* p, Index n, float x) {
  for (Index i = 0; i < n; ++i) p[i] = x;
}

// ---- tile matmul ----
// C[m][n] (op)= sum_k A(m, k) * B[k][n] for m < M, n < N, k < K, where
// A(m, k) = A[m * sm + k * sk] (any strides: rows or columns of a tile) and
// B, C are row-major with N a multiple of kVL * kNV (the lanes). kScaleAdd
// first multiplies column n of C by cs[n].
enum class Acc { kSet, kAdd, kScaleAdd };

template <int MR, Acc mode>
inline void micro(Index K, const float* __restrict A, Index sm, Index sk, const float* __restrict B, Index ldb,
                  float* __restrict C, Index ldc, const float* __restrict cs) {
  Vec acc[MR][kNV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) {
      if constexpr (mode == Acc::kSet) {
        acc[r][v] = Vec{};
      } else if constexpr (mode == Acc::kAdd) {
        acc[r][v] = load(C + r * ldc + v * kVL);
      } else {
        acc[r][v] = load(C + r * ldc + v * kVL) * load(cs + v * kVL);
      }
    }
  }
  for (Index k = 0; k < K; ++k) {
    Vec b[kNV];
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) b[v] = load(B + k * ldb + v * kVL);
    const float* a = A + k * sk;
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const Vec ar = splat(a[r * sm]);
#pragma GCC unroll 8
      for (int v = 0; v < kNV; ++v) acc[r][v] += ar * b[v];
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) store(C + r * ldc + v * kVL, acc[r][v]);
  }
}

template <int R, Acc mode>
inline void micro_tail(Index rem, Index K, const float* A, Index sm, Index sk, const float* B, Index ldb, float* C,
                       Index ldc, const float* cs) {
  if constexpr (R > 0) {
    if (rem == R) {
      micro<R, mode>(K, A, sm, sk, B, ldb, C, ldc, cs);
    } else {
      micro_tail<R - 1, mode>(rem, K, A, sm, sk, B, ldb, C, ldc, cs);
    }
  }
}

template <Acc mode>
void gemm(Index M, Index N, Index K, const float* A, Index sm, Index sk, const float* B, Index ldb, float* C,
          Index ldc, const float* cs = nullptr) {
  for (Index n0 = 0; n0 < N; n0 += kVL * kNV) {
    const float* csn = mode == Acc::kScaleAdd ? cs + n0 : nullptr;
    Index m0 = 0;
    for (; m0 + kMR <= M; m0 += kMR) {
      micro<kMR, mode>(K, A + m0 * sm, sm, sk, B + n0, ldb, C + m0 * ldc + n0, ldc, csn);
    }
    if (m0 < M) micro_tail<kMR - 1, mode>(M - m0, K, A + m0 * sm, sm, sk, B + n0, ldb, C + m0 * ldc + n0, ldc, csn);
  }
}

// ---- packing ----
// dst[p][i] = scale * src[i][p] for i < rows, 0 for rows <= i < kLanes (a tile transposed to lanes).
template <typename T>
void pack_lanes(const T* __restrict src, Index rows, Index d, float scale, float* __restrict dst) {
  for (Index i = 0; i < rows; ++i) {
    for (Index p = 0; p < d; ++p) dst[p * kLanes + i] = widen(src[i * d + p]) * scale;
  }
  if (rows < kLanes) {
    for (Index p = 0; p < d; ++p) fill(dst + p * kLanes + rows, kLanes - rows, 0.0f);
  }
}

// dst[i][p] = scale * src[p][i] for i < rows (a lane tile back to rows).
template <typename T>
void unpack_lanes(const float* __restrict src, Index rows, Index d, float scale, T* __restrict dst) {
  for (Index i = 0; i < rows; ++i) {
    for (Index p = 0; p < d; ++p) put(dst + i * d + p, src[p * kLanes + i] * scale);
  }
}

// D[i] = sum_c dout[i][c] * o[i][c] for i < rows.
template <typename T>
void row_dots(const T* __restrict dout, const T* __restrict o, Index rows, Index d, float* __restrict D) {
  for (Index i = 0; i < rows; ++i) {
    float acc = 0.0f;
    for (Index c = 0; c < d; ++c) acc += widen(dout[i * d + c]) * widen(o[i * d + c]);
    D[i] = acc;
  }
}

// Carves 64-byte aligned buffers off a thread's scratch slice.
struct Carver {
  float* p;
  float* take(Index n) {
    float* r = p;
    p += round16(n);
    return r;
  }
};

// ---- forward ----
template <typename T>
void forward_kernel(const Dims& s, const T* q, const T* k, const T* v, T* o, float* lse, float* work, Index stride,
                    int threads) {
  const Index d = s.d, group = s.h / s.kvh, off = s.skv - s.sq;
  const Index nqt = (s.sq + kLanes - 1) / kLanes, heads = s.b * s.h;
  const float qscale = s.scale * kLog2e;  // scores in log2 units: exp2 instead of exp
#pragma omp parallel num_threads(threads)
  {
    Carver carve{work + omp_get_thread_num() * stride};
    float* Qt = carve.take(d * kLanes);       // [d][lanes]: q tile, scaled, transposed
    float* Ot = carve.take(d * kLanes);       // [d][lanes]: unnormalized output
    float* St = carve.take(kKeyRows * kLanes);  // [keys][lanes]: scores, then P
    float* Kc = carve.take(kKeyRows * d);     // bf16 key/value tiles widened
    float* Vc = carve.take(kKeyRows * d);
    float* m = carve.p;  // running max (log2 units), running sum, rescale factor: [lanes] each
    float* l = m + kLanes;
    float* alpha = l + kLanes;

#pragma omp for schedule(dynamic, 1)
    for (Index item = 0; item < nqt * heads; ++item) {
      const Index qt = nqt - 1 - item / heads;  // last query tiles first: the most work under the causal mask
      const Index bh = item % heads;
      const Index kv = (bh / s.h) * s.kvh + (bh % s.h) / group;
      const Index i0 = qt * kLanes, rows = imin(kLanes, s.sq - i0);
      const T* kb = k + kv * s.skv * d;
      const T* vb = v + kv * s.skv * d;

      pack_lanes(q + (bh * s.sq + i0) * d, rows, d, qscale, Qt);
      fill(Ot, d * kLanes, 0.0f);
      fill(m, kLanes, -kInf);
      fill(l, kLanes, 0.0f);
      // Keys past jend are masked for every row of the tile.
      const Index jend = s.causal ? imin(s.skv, i0 + rows + off) : s.skv;
      for (Index j0 = 0; j0 < jend; j0 += kKeyRows) {
        const Index cols = imin(kKeyRows, jend - j0);
        const float* K = as_f32(kb + j0 * d, cols * d, Kc);
        gemm<Acc::kSet>(cols, kLanes, d, K, d, 1, Qt, kLanes, St, kLanes);
        if (s.causal && j0 + cols - 1 > i0 + off) {  // crosses the diagonal: key j0+j masked for query i0+i < j0+j-off
          for (Index j = 0; j < cols; ++j) {
            const float t = static_cast<float>(j0 + j - i0 - off);
            if (t <= 0) continue;
            for (int w = 0; w < kLanes; w += kVL) {
              const Vec x = load(St + j * kLanes + w);
              store(St + j * kLanes + w, lane_index(w) < t ? splat(-kInf) : x);
            }
          }
        }
        for (int w = 0; w < kLanes; w += kVL) {
          Vec mx = splat(-kInf);
          for (Index j = 0; j < cols; ++j) mx = vmax(mx, load(St + j * kLanes + w));
          const Vec m_old = load(m + w);
          const Vec m_new = vmax(m_old, mx);
          const Vec m_use = m_new == -kInf ? Vec{} : m_new;  // a row masked so far: no -inf - -inf
          Vec sum = Vec{};
          for (Index j = 0; j < cols; ++j) {
            const Vec p = exp2v(load(St + j * kLanes + w) - m_use);
            store(St + j * kLanes + w, p);
            sum += p;
          }
          const Vec a = exp2v(m_old - m_use);
          store(alpha + w, a);
          store(l + w, load(l + w) * a + sum);
          store(m + w, m_new);
        }
        const float* V = as_f32(vb + j0 * d, cols * d, Vc);
        gemm<Acc::kScaleAdd>(d, kLanes, cols, V, 1, d, St, kLanes, Ot, kLanes, alpha);
      }
      for (Index i = 0; i < rows; ++i) {
        const bool any = l[i] > 0.0f;
        lse[bh * s.sq + i0 + i] = any ? (m[i] + __builtin_log2f(l[i])) * kLn2 : -kInf;
        alpha[i] = any ? 1.0f / l[i] : 0.0f;
      }
      T* ob = o + (bh * s.sq + i0) * d;
      for (Index i = 0; i < rows; ++i) {
        for (Index c = 0; c < d; ++c) put(ob + i * d + c, Ot[c * kLanes + i] * alpha[i]);
      }
    }
  }
}

// ---- backward, pass 1: dk and dv, parallel over (b, kv head, key tile) ----
template <typename T>
void backward_kv_kernel(const Dims& s, const T* q, const T* k, const T* v, const T* o, const float* lse,
                        const T* dout, T* dk, T* dv, float* work, Index stride, int threads) {
  const Index d = s.d, group = s.h / s.kvh, off = s.skv - s.sq;
  const Index nkt = (s.skv + kLanes - 1) / kLanes, kvheads = s.b * s.kvh;
  const float qscale = s.scale * kLog2e;
#pragma omp parallel num_threads(threads)
  {
    Carver carve{work + omp_get_thread_num() * stride};
    float* Kt = carve.take(d * kLanes);  // [d][key lanes], scaled by scale * log2(e)
    float* Vt = carve.take(d * kLanes);
    float* dKt = carve.take(d * kLanes);
    float* dVt = carve.take(d * kLanes);
    float* S = carve.take(kQueryRows * kLanes);   // [queries][key lanes]: scores, then P
    float* dP = carve.take(kQueryRows * kLanes);  // dP, then dS
    float* Qc = carve.take(kQueryRows * d);
    float* dOc = carve.take(kQueryRows * d);
    float* Oc = carve.take(kQueryRows * d);
    float* D = carve.take(kQueryRows);
    float* lse2 = carve.take(kQueryRows);

#pragma omp for schedule(dynamic, 1)
    for (Index item = 0; item < nkt * kvheads; ++item) {
      const Index kt = item / kvheads;  // first key tiles first: the most work under the causal mask
      const Index bk = item % kvheads;
      const Index j0 = kt * kLanes, cols = imin(kLanes, s.skv - j0);
      pack_lanes(k + (bk * s.skv + j0) * d, cols, d, qscale, Kt);
      pack_lanes(v + (bk * s.skv + j0) * d, cols, d, 1.0f, Vt);
      fill(dKt, d * kLanes, 0.0f);
      fill(dVt, d * kLanes, 0.0f);
      const Index ifirst = s.causal ? imax(0, j0 - off) : 0;  // queries before it see none of these keys
      for (Index g = 0; g < group; ++g) {
        const Index bh = (bk / s.kvh) * s.h + (bk % s.kvh) * group + g;
        for (Index i0 = ifirst; i0 < s.sq; i0 += kQueryRows) {
          const Index rows = imin(kQueryRows, s.sq - i0);
          const Index base = (bh * s.sq + i0) * d;
          const float* Q = as_f32(q + base, rows * d, Qc);
          const float* dO = as_f32(dout + base, rows * d, dOc);
          const float* O = as_f32(o + base, rows * d, Oc);
          row_dots(dO, O, rows, d, D);
          for (Index i = 0; i < rows; ++i) {
            const float x = lse[bh * s.sq + i0 + i];
            lse2[i] = x == -kInf ? kInf : x * kLog2e;  // a fully masked row: P = exp2(-inf) = 0
          }
          gemm<Acc::kSet>(rows, kLanes, d, Q, d, 1, Kt, kLanes, S, kLanes);
          // Key lanes j > t are masked (causal) or padding.
          const bool crosses = s.causal && j0 + cols - 1 > i0 + off;
          for (Index i = 0; i < rows; ++i) {
            const Vec x = splat(lse2[i]);
            Index t = cols - 1;
            if (crosses) t = imin(t, i0 + i + off - j0);
            const float tf = static_cast<float>(t);
            for (int w = 0; w < kLanes; w += kVL) {
              const Vec p = exp2v(load(S + i * kLanes + w) - x);
              store(S + i * kLanes + w, t >= kLanes - 1 ? p : (lane_index(w) > tf ? Vec{} : p));
            }
          }
          gemm<Acc::kAdd>(d, kLanes, rows, dO, 1, d, S, kLanes, dVt, kLanes);  // dV += P^T dO
          gemm<Acc::kSet>(rows, kLanes, d, dO, d, 1, Vt, kLanes, dP, kLanes);  // dP = dO V^T
          for (Index i = 0; i < rows; ++i) {
            const Vec Di = splat(D[i]);
            for (int w = 0; w < kLanes; w += kVL) {
              store(dP + i * kLanes + w, load(S + i * kLanes + w) * (load(dP + i * kLanes + w) - Di));
            }
          }
          gemm<Acc::kAdd>(d, kLanes, rows, Q, 1, d, dP, kLanes, dKt, kLanes);  // dK += dS^T Q (scaled below)
        }
      }
      unpack_lanes(dKt, cols, d, s.scale, dk + (bk * s.skv + j0) * d);
      unpack_lanes(dVt, cols, d, 1.0f, dv + (bk * s.skv + j0) * d);
    }
  }
}

// ---- backward, pass 2: dq, parallel over (b, h, query tile) ----
template <typename T>
void backward_q_kernel(const Dims& s, const T* q, const T* k, const T* v, const T* o, const float* lse,
                       const T* dout, T* dq, float* work, Index stride, int threads) {
  const Index d = s.d, group = s.h / s.kvh, off = s.skv - s.sq;
  const Index nqt = (s.sq + kLanes - 1) / kLanes, heads = s.b * s.h;
  const float qscale = s.scale * kLog2e;
#pragma omp parallel num_threads(threads)
  {
    Carver carve{work + omp_get_thread_num() * stride};
    float* Qt = carve.take(d * kLanes);
    float* dOt = carve.take(d * kLanes);
    float* dQt = carve.take(d * kLanes);
    float* St = carve.take(kKeyRows * kLanes);   // [keys][query lanes]: scores, then P
    float* dPt = carve.take(kKeyRows * kLanes);  // dP, then dS
    float* Kc = carve.take(kKeyRows * d);
    float* Vc = carve.take(kKeyRows * d);
    float* lse2 = carve.take(kLanes);
    float* D = carve.take(kLanes);
    float* rowc = carve.take(d);

#pragma omp for schedule(dynamic, 1)
    for (Index item = 0; item < nqt * heads; ++item) {
      const Index qt = nqt - 1 - item / heads;
      const Index bh = item % heads;
      const Index kv = (bh / s.h) * s.kvh + (bh % s.h) / group;
      const Index i0 = qt * kLanes, rows = imin(kLanes, s.sq - i0);
      const Index base = (bh * s.sq + i0) * d;
      const T* kb = k + kv * s.skv * d;
      const T* vb = v + kv * s.skv * d;
      pack_lanes(q + base, rows, d, qscale, Qt);
      pack_lanes(dout + base, rows, d, 1.0f, dOt);
      fill(dQt, d * kLanes, 0.0f);
      fill(lse2, kLanes, kInf);  // padding lanes: P = 0
      fill(D, kLanes, 0.0f);
      for (Index i = 0; i < rows; ++i) {
        const float x = lse[bh * s.sq + i0 + i];
        lse2[i] = x == -kInf ? kInf : x * kLog2e;
        const float* dOi = as_f32(dout + base + i * d, d, rowc);
        float acc = 0.0f;
        for (Index c = 0; c < d; ++c) acc += dOi[c] * widen(o[base + i * d + c]);
        D[i] = acc;
      }
      const Index jend = s.causal ? imin(s.skv, i0 + rows + off) : s.skv;
      for (Index j0 = 0; j0 < jend; j0 += kKeyRows) {
        const Index cols = imin(kKeyRows, jend - j0);
        const float* K = as_f32(kb + j0 * d, cols * d, Kc);
        const float* V = as_f32(vb + j0 * d, cols * d, Vc);
        gemm<Acc::kSet>(cols, kLanes, d, K, d, 1, Qt, kLanes, St, kLanes);   // S^T = K Q^T
        gemm<Acc::kSet>(cols, kLanes, d, V, d, 1, dOt, kLanes, dPt, kLanes);  // dP^T = V dO^T
        const bool crosses = s.causal && j0 + cols - 1 > i0 + off;
        for (Index j = 0; j < cols; ++j) {
          const float t = crosses ? static_cast<float>(j0 + j - i0 - off) : 0.0f;  // query lanes i < t masked
          for (int w = 0; w < kLanes; w += kVL) {
            Vec p = exp2v(load(St + j * kLanes + w) - load(lse2 + w));
            if (t > 0) p = lane_index(w) < t ? Vec{} : p;
            store(dPt + j * kLanes + w, p * (load(dPt + j * kLanes + w) - load(D + w)));  // dS^T
          }
        }
        gemm<Acc::kAdd>(d, kLanes, cols, K, 1, d, dPt, kLanes, dQt, kLanes);  // dQ^T += K^T dS^T (scaled below)
      }
      unpack_lanes(dQt, rows, d, s.scale, dq + base);
    }
  }
}

}  // namespace
}  // namespace tb::flash_detail

// Defines and instantiates the entry points declared by TB_FLASH_DECLARE_ISA(isa).
#define TB_FLASH_DEFINE_ISA(isa)                                                                                 \
  namespace tb::flash_detail {                                                                                   \
  template <typename T>                                                                                          \
  void forward_##isa(const Dims& s, const T* q, const T* k, const T* v, T* o, float* lse, float* work,          \
                     Index stride, int threads) {                                                                \
    forward_kernel(s, q, k, v, o, lse, work, stride, threads);                                                   \
  }                                                                                                              \
  template <typename T>                                                                                          \
  void backward_##isa(const Dims& s, const T* q, const T* k, const T* v, const T* o, const float* lse,          \
                      const T* dout, T* dq, T* dk, T* dv, float* work, Index stride, int threads) {             \
    backward_kv_kernel(s, q, k, v, o, lse, dout, dk, dv, work, stride, threads);                                \
    backward_q_kernel(s, q, k, v, o, lse, dout, dq, work, stride, threads);                                     \
  }                                                                                                              \
  template void forward_##isa<float>(const Dims&, const float*, const float*, const float*, float*, float*,     \
                                     float*, Index, int);                                                        \
  template void forward_##isa<std::uint16_t>(const Dims&, const std::uint16_t*, const std::uint16_t*,           \
                                             const std::uint16_t*, std::uint16_t*, float*, float*, Index, int);  \
  template void backward_##isa<float>(const Dims&, const float*, const float*, const float*, const float*,      \
                                      const float*, const float*, float*, float*, float*, float*, Index, int);   \
  template void backward_##isa<std::uint16_t>(const Dims&, const std::uint16_t*, const std::uint16_t*,          \
                                              const std::uint16_t*, const std::uint16_t*, const float*,          \
                                              const std::uint16_t*, std::uint16_t*, std::uint16_t*,              \
                                              std::uint16_t*, float*, Index, int);                               \
  }

#endif  // TB_FLASH_VL
