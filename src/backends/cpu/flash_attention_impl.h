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

#include <time.h>

#include <cstdint>

namespace tb::flash_detail {

using Index = std::int64_t;

// An AttentionShape checked by the dispatcher (extents >= 1, h % kvh == 0).
struct Dims {
  Index b, h, kvh, sq, skv, d;
  bool causal;
  float scale;
};

constexpr Index kQueryLanes = 128;  // forward: queries per tile, the vector-lane dimension of its tiles
constexpr Index kKeyLanes = 64;     // backward: keys per tile, the vector-lane dimension of its tiles
constexpr Index kKeyRows = 128;     // forward: keys per tile
constexpr Index kQueryRows = 64;    // backward: queries per tile

namespace {
constexpr Index round16(Index n) { return (n + 15) / 16 * 16; }  // 64-byte multiples of floats
}  // namespace

// Floats of scratch per thread.
constexpr Index forward_workspace(Index d) {
  return 2 * round16(d * kQueryLanes) + round16(kKeyRows * kQueryLanes) + 2 * round16(kKeyRows * d) + 4 * kQueryLanes;
}
// dp: the stride of the dQ accumulator rows (d rounded up to whole register tiles).
constexpr Index backward_workspace(Index d, Index dp) {
  return 4 * round16(d * kKeyLanes) + round16(kKeyLanes * dp) + 2 * round16(kQueryRows * kKeyLanes) +
         2 * round16(kQueryRows * d) + 2 * round16(kKeyLanes);
}

// Where the time goes, for the phase breakdown (flash_detail::Phases): seconds
// per thread, summed; the backward's prologue and epilogue count wall time
// times threads.
enum Phase { kPhaseMatmul, kPhaseExp, kPhaseReduce, kPhaseOther, kPhases };

// The backward's memory beyond the per-thread tiles.
struct BackwardScratch {
  float* work;      // `threads` slices of `stride` floats, 64-byte aligned
  Index stride;
  float* rows;      // 2 * b * h * sq floats: D, then lse in log2 units
  float* dq_acc;    // splits * b * h * sq * dq_stride floats (may be dq itself: fp32, one split, dq_stride = d)
  Index dq_stride;  // floats per accumulator row: a multiple of the register tile width
  Index splits;     // key-tile splits per kv head; each has its own dQ accumulator
  double* phase_s;  // null, or threads * kPhases seconds to add the breakdown to
};

// `work` holds `threads` slices of `stride` floats, 64-byte aligned.
// phase_s: null, or threads * kPhases seconds to add the breakdown to.
#define TB_FLASH_DECLARE_ISA(isa)                                                                                \
  template <typename T>                                                                                          \
  void forward_##isa(const Dims& s, const T* q, const T* k, const T* v, T* o, float* lse, float* work,          \
                     Index stride, int threads, double* phase_s);                                                \
  template <typename T>                                                                                          \
  void backward_##isa(const Dims& s, const T* q, const T* k, const T* v, const T* o, const float* lse,          \
                      const T* dout, T* dq, T* dk, T* dv, const BackwardScratch& scratch, int threads);          \
  Index register_tile_##isa();  /* floats: the width dq_stride is a multiple of */

TB_FLASH_DECLARE_ISA(portable)
TB_FLASH_DECLARE_ISA(avx2)
TB_FLASH_DECLARE_ISA(avx512)

}  // namespace tb::flash_detail

#ifdef TB_FLASH_VL

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tb::flash_detail {
namespace {

constexpr int kVL = TB_FLASH_VL;  // floats per vector register
constexpr int kMR = TB_FLASH_MR;  // rows of the register tile of the micro-kernel
constexpr int kNV = TB_FLASH_NV;  // vectors per row of the register tile
static_assert(kQueryLanes % (kVL * kNV) == 0 && kKeyLanes % (kVL * kNV) == 0,
              "lane tiles must be whole register tiles");

typedef float Vec __attribute__((vector_size(kVL * sizeof(float))));
typedef float VecU __attribute__((vector_size(kVL * sizeof(float)), aligned(4), may_alias));
typedef std::int32_t VecI __attribute__((vector_size(kVL * sizeof(float))));

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;
constexpr float kInf = __builtin_inff();

inline Index imin(Index a, Index b) { return a < b ? a : b; }
inline Index imax(Index a, Index b) { return a > b ? a : b; }

// Every lane x, in one broadcast instruction (from memory when x is loaded).
// The intrinsics are always-inline with no out-of-line copy, so they are safe
// here. Not Vec{} + x: that is an addition (0 + x, kept since x may be -0), an
// extra FP-port instruction per broadcast in the micro-kernel.
inline Vec splat(float x) {
#if TB_FLASH_VL == 16
  return (Vec)_mm512_set1_ps(x);
#elif TB_FLASH_VL == 8
  return (Vec)_mm256_set1_ps(x);
#elif TB_FLASH_VL == 4 && defined(__SSE2__)
  return (Vec)_mm_set1_ps(x);
#else
  Vec v;
  for (int i = 0; i < kVL; ++i) v[i] = x;
  return v;
#endif
}
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

// ---- phase breakdown ----
inline double now_s() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Adds the time since the last start or lap to a phase; does nothing without `acc`.
struct PhaseClock {
  double* acc;  // kPhases seconds of this thread, or null
  double t;
  void start() {
    if (acc) t = now_s();
  }
  void lap(Phase phase) {
    if (!acc) return;
    const double n = now_s();
    acc[phase] += n - t;
    t = n;
  }
};

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
// Transposes between row tiles and lane tiles in blocks of kBlock rows, so
// that both sides touch at most kBlock cache lines at a time.
constexpr Index kBlock = 16;

// dst[p][i] = scale * src[i][p] for i < rows, 0 for rows <= i < lanes (a tile transposed to lanes).
template <typename T>
void pack_lanes(const T* __restrict src, Index rows, Index d, Index lanes, float scale, float* __restrict dst) {
  for (Index i0 = 0; i0 < rows; i0 += kBlock) {
    const Index i1 = imin(rows, i0 + kBlock);
    for (Index p = 0; p < d; ++p) {
      for (Index i = i0; i < i1; ++i) dst[p * lanes + i] = widen(src[i * d + p]) * scale;
    }
  }
  if (rows < lanes) {
    for (Index p = 0; p < d; ++p) fill(dst + p * lanes + rows, lanes - rows, 0.0f);
  }
}

// dst[i][p] = scale[i] * src[p][i] for i < rows (a lane tile back to rows,
// row i scaled by scale[i]; scale has `rows` entries).
template <typename T>
void unpack_lanes(const float* __restrict src, Index rows, Index d, Index lanes, const float* __restrict scale,
                  T* __restrict dst) {
  for (Index i0 = 0; i0 < rows; i0 += kBlock) {
    const Index i1 = imin(rows, i0 + kBlock);
    for (Index p = 0; p < d; ++p) {
      for (Index i = i0; i < i1; ++i) put(dst + i * d + p, src[p * lanes + i] * scale[i]);
    }
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
                    int threads, double* phase_s) {
  const Index d = s.d, group = s.h / s.kvh, off = s.skv - s.sq;
  const Index nqt = (s.sq + kQueryLanes - 1) / kQueryLanes, heads = s.b * s.h;
  const float qscale = s.scale * kLog2e;  // scores in log2 units: exp2 instead of exp
#pragma omp parallel num_threads(threads)
  {
    Carver carve{work + omp_get_thread_num() * stride};
    PhaseClock clock{phase_s ? phase_s + omp_get_thread_num() * kPhases : nullptr, 0.0};
    float* Qt = carve.take(d * kQueryLanes);       // [d][lanes]: q tile, scaled, transposed
    float* Ot = carve.take(d * kQueryLanes);       // [d][lanes]: unnormalized output
    float* St = carve.take(kKeyRows * kQueryLanes);  // [keys][lanes]: scores, then P
    float* Kc = carve.take(kKeyRows * d);     // bf16 key/value tiles widened
    float* Vc = carve.take(kKeyRows * d);
    float* m = carve.p;  // running max (log2 units), running sum, rescale factor, new max: [lanes] each
    float* l = m + kQueryLanes;
    float* alpha = l + kQueryLanes;
    float* m_next = alpha + kQueryLanes;

#pragma omp for schedule(dynamic, 1)
    for (Index item = 0; item < nqt * heads; ++item) {
      const Index qt = nqt - 1 - item / heads;  // last query tiles first: the most work under the causal mask
      const Index bh = item % heads;
      const Index kv = (bh / s.h) * s.kvh + (bh % s.h) / group;
      const Index i0 = qt * kQueryLanes, rows = imin(kQueryLanes, s.sq - i0);
      const T* kb = k + kv * s.skv * d;
      const T* vb = v + kv * s.skv * d;

      clock.start();
      pack_lanes(q + (bh * s.sq + i0) * d, rows, d, kQueryLanes, qscale, Qt);
      fill(Ot, d * kQueryLanes, 0.0f);
      fill(m, kQueryLanes, -kInf);
      fill(l, kQueryLanes, 0.0f);
      // Keys past jend are masked for every row of the tile.
      const Index jend = s.causal ? imin(s.skv, i0 + rows + off) : s.skv;
      for (Index j0 = 0; j0 < jend; j0 += kKeyRows) {
        const Index cols = imin(kKeyRows, jend - j0);
        const float* K = as_f32(kb + j0 * d, cols * d, Kc);
        clock.lap(kPhaseOther);
        gemm<Acc::kSet>(cols, kQueryLanes, d, K, d, 1, Qt, kQueryLanes, St, kQueryLanes);
        clock.lap(kPhaseMatmul);
        if (s.causal && j0 + cols - 1 > i0 + off) {  // crosses the diagonal: key j0+j masked for query i0+i < j0+j-off
          for (Index j = 0; j < cols; ++j) {
            const float t = static_cast<float>(j0 + j - i0 - off);
            if (t <= 0) continue;
            for (int w = 0; w < kQueryLanes; w += kVL) {
              const Vec x = load(St + j * kQueryLanes + w);
              store(St + j * kQueryLanes + w, lane_index(w) < t ? splat(-kInf) : x);
            }
          }
        }
        for (int w = 0; w < kQueryLanes; w += kVL) {
          Vec mx = splat(-kInf);
          for (Index j = 0; j < cols; ++j) mx = vmax(mx, load(St + j * kQueryLanes + w));
          store(m_next + w, vmax(load(m + w), mx));
        }
        clock.lap(kPhaseReduce);
        for (int w = 0; w < kQueryLanes; w += kVL) {
          const Vec m_old = load(m + w);
          const Vec m_new = load(m_next + w);
          const Vec m_use = m_new == -kInf ? Vec{} : m_new;  // a row masked so far: no -inf - -inf
          Vec sum = Vec{};
          for (Index j = 0; j < cols; ++j) {
            const Vec p = exp2v(load(St + j * kQueryLanes + w) - m_use);
            store(St + j * kQueryLanes + w, p);
            sum += p;
          }
          const Vec a = exp2v(m_old - m_use);
          store(alpha + w, a);
          store(l + w, load(l + w) * a + sum);
          store(m + w, m_new);
        }
        clock.lap(kPhaseExp);
        const float* V = as_f32(vb + j0 * d, cols * d, Vc);
        clock.lap(kPhaseOther);
        gemm<Acc::kScaleAdd>(d, kQueryLanes, cols, V, 1, d, St, kQueryLanes, Ot, kQueryLanes, alpha);
        clock.lap(kPhaseMatmul);
      }
      for (Index i = 0; i < rows; ++i) {
        const bool any = l[i] > 0.0f;
        lse[bh * s.sq + i0 + i] = any ? (m[i] + __builtin_log2f(l[i])) * kLn2 : -kInf;
        alpha[i] = any ? 1.0f / l[i] : 0.0f;
      }
      unpack_lanes(Ot, rows, d, kQueryLanes, alpha, o + (bh * s.sq + i0) * d);
      clock.lap(kPhaseOther);
    }
  }
}

// ---- backward ----
// Prologue, parallel over rows: D = rowsum(dout * o) and lse in log2 units
// (+inf for a fully masked row, so that P = exp2(-inf) = 0).
template <typename T>
void backward_rows(const Dims& s, const T* o, const float* lse, const T* dout, float* D, float* lse2, int threads) {
  const Index n = s.b * s.h * s.sq, d = s.d;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (Index r = 0; r < n; ++r) {
    float acc = 0.0f;
    for (Index c = 0; c < d; ++c) acc += widen(dout[r * d + c]) * widen(o[r * d + c]);
    D[r] = acc;
    lse2[r] = lse[r] == -kInf ? kInf : lse[r] * kLog2e;
  }
}

// The five tile matmuls, parallel over (b, kv head, key split). A work item
// owns the dk/dv tiles of its keys (key tiles split, split + splits, ...) and
// accumulates them over every query head of the GQA group and every query tile:
//   S = q K^T, P = exp2(S - lse2), dV += P^T dout, dP = dout V^T,
//   dS = P (dP - D), dK += dS^T q, dQ_acc[split] += dS K.
// dQ_acc[split] rows have stride dp (d rounded up to whole register tiles);
// only items of that split write it, so no two threads share a row.
template <typename T>
void backward_kernel(const Dims& s, const T* q, const T* k, const T* v, const T* dout, T* dk, T* dv,
                     const BackwardScratch& w, int threads) {
  const Index d = s.d, dp = w.dq_stride, group = s.h / s.kvh, off = s.skv - s.sq;
  const Index nkt = (s.skv + kKeyLanes - 1) / kKeyLanes, kvheads = s.b * s.kvh, splits = w.splits;
  const Index acc_size = s.b * s.h * s.sq * dp;
  const float qscale = s.scale * kLog2e;
  const float* Dall = w.rows;
  const float* lse2all = w.rows + s.b * s.h * s.sq;
#pragma omp parallel num_threads(threads)
  {
    Carver carve{w.work + omp_get_thread_num() * w.stride};
    PhaseClock clock{w.phase_s ? w.phase_s + omp_get_thread_num() * kPhases : nullptr, 0.0};
    float* Kt = carve.take(d * kKeyLanes);  // [d][key lanes], scaled by scale * log2(e)
    float* Vt = carve.take(d * kKeyLanes);
    float* dKt = carve.take(d * kKeyLanes);
    float* dVt = carve.take(d * kKeyLanes);
    float* Kr = carve.take(kKeyLanes * dp);          // [keys][dp]: the key tile as rows, zero-padded
    float* S = carve.take(kQueryRows * kKeyLanes);   // [queries][key lanes]: scores, then P
    float* dP = carve.take(kQueryRows * kKeyLanes);  // dP, then dS
    float* Qc = carve.take(kQueryRows * d);       // bf16 tiles widened
    float* dOc = carve.take(kQueryRows * d);
    float* scale_k = carve.take(kKeyLanes);       // per-row factors of the dk and dv tiles
    float* ones = carve.take(kKeyLanes);
    fill(scale_k, kKeyLanes, s.scale);
    fill(ones, kKeyLanes, 1.0f);

#pragma omp for schedule(dynamic, 1)
    for (Index item = 0; item < kvheads * splits; ++item) {
      const Index sp = item / kvheads;  // split 0 first: it holds key tile 0, the most work under the causal mask
      const Index bk = item % kvheads;
      float* acc = w.dq_acc + sp * acc_size;
      for (Index kt = sp; kt < nkt; kt += splits) {
        clock.start();
        const Index j0 = kt * kKeyLanes, cols = imin(kKeyLanes, s.skv - j0);
        const T* kb = k + (bk * s.skv + j0) * d;
        pack_lanes(kb, cols, d, kKeyLanes, qscale, Kt);
        pack_lanes(v + (bk * s.skv + j0) * d, cols, d, kKeyLanes, 1.0f, Vt);
        fill(dKt, d * kKeyLanes, 0.0f);
        fill(dVt, d * kKeyLanes, 0.0f);
        fill(Kr, kKeyLanes * dp, 0.0f);
        for (Index j = 0; j < cols; ++j) {
          for (Index c = 0; c < d; ++c) Kr[j * dp + c] = widen(kb[j * d + c]);
        }
        clock.lap(kPhaseOther);
        const Index ifirst = s.causal ? imax(0, j0 - off) : 0;  // queries before it see none of these keys
        for (Index g = 0; g < group; ++g) {
          const Index bh = (bk / s.kvh) * s.h + (bk % s.kvh) * group + g;
          for (Index i0 = ifirst; i0 < s.sq; i0 += kQueryRows) {
            const Index rows = imin(kQueryRows, s.sq - i0);
            const Index base = (bh * s.sq + i0) * d;
            const float* D = Dall + bh * s.sq + i0;
            const float* lse2 = lse2all + bh * s.sq + i0;
            const float* Q = as_f32(q + base, rows * d, Qc);
            const float* dO = as_f32(dout + base, rows * d, dOc);
            clock.lap(kPhaseOther);
            gemm<Acc::kSet>(rows, kKeyLanes, d, Q, d, 1, Kt, kKeyLanes, S, kKeyLanes);
            clock.lap(kPhaseMatmul);
            // Key lanes j > t are masked (causal) or padding.
            const bool crosses = s.causal && j0 + cols - 1 > i0 + off;
            for (Index i = 0; i < rows; ++i) {
              const Vec x = splat(lse2[i]);
              Index t = cols - 1;
              if (crosses) t = imin(t, i0 + i + off - j0);
              const float tf = static_cast<float>(t);
              for (int l = 0; l < kKeyLanes; l += kVL) {
                const Vec p = exp2v(load(S + i * kKeyLanes + l) - x);
                store(S + i * kKeyLanes + l, t >= kKeyLanes - 1 ? p : (lane_index(l) > tf ? Vec{} : p));
              }
            }
            clock.lap(kPhaseExp);
            gemm<Acc::kAdd>(d, kKeyLanes, rows, dO, 1, d, S, kKeyLanes, dVt, kKeyLanes);  // dV += P^T dO
            gemm<Acc::kSet>(rows, kKeyLanes, d, dO, d, 1, Vt, kKeyLanes, dP, kKeyLanes);  // dP = dO V^T
            clock.lap(kPhaseMatmul);
            for (Index i = 0; i < rows; ++i) {
              const Vec Di = splat(D[i]);
              for (int l = 0; l < kKeyLanes; l += kVL) {
                store(dP + i * kKeyLanes + l, load(S + i * kKeyLanes + l) * (load(dP + i * kKeyLanes + l) - Di));
              }
            }
            clock.lap(kPhaseExp);
            gemm<Acc::kAdd>(d, kKeyLanes, rows, Q, 1, d, dP, kKeyLanes, dKt, kKeyLanes);  // dK += dS^T Q (scaled below)
            gemm<Acc::kAdd>(rows, dp, cols, dP, kKeyLanes, 1, Kr, dp, acc + (bh * s.sq + i0) * dp, dp);  // dQ += dS K
            clock.lap(kPhaseMatmul);
          }
        }
        unpack_lanes(dKt, cols, d, kKeyLanes, scale_k, dk + (bk * s.skv + j0) * d);
        unpack_lanes(dVt, cols, d, kKeyLanes, ones, dv + (bk * s.skv + j0) * d);
        clock.lap(kPhaseOther);
      }
    }
  }
}

// Epilogue, parallel over rows: dq = scale * (sum of the splits' accumulators).
template <typename T>
void backward_reduce(const Dims& s, const BackwardScratch& w, T* dq, int threads) {
  const Index n = s.b * s.h * s.sq, d = s.d, dp = w.dq_stride, acc_size = n * dp;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (Index r = 0; r < n; ++r) {
    for (Index c = 0; c < d; ++c) {
      float sum = w.dq_acc[r * dp + c];
      for (Index sp = 1; sp < w.splits; ++sp) sum += w.dq_acc[sp * acc_size + r * dp + c];
      put(dq + r * d + c, sum * s.scale);
    }
  }
}

template <typename T>
void backward_all(const Dims& s, const T* q, const T* k, const T* v, const T* o, const float* lse, const T* dout,
                  T* dq, T* dk, T* dv, const BackwardScratch& w, int threads) {
  const Index n = s.b * s.h * s.sq;
  const double t0 = w.phase_s ? now_s() : 0.0;
  backward_rows(s, o, lse, dout, w.rows, w.rows + n, threads);
  const Index total = w.splits * n * w.dq_stride;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (Index i = 0; i < total; i += 4096) fill(w.dq_acc + i, imin(4096, total - i), 0.0f);  // first touch by the users
  if (w.phase_s) w.phase_s[kPhaseReduce] += (now_s() - t0) * threads;
  backward_kernel(s, q, k, v, dout, dk, dv, w, threads);
  const double t1 = w.phase_s ? now_s() : 0.0;
  backward_reduce(s, w, dq, threads);
  if (w.phase_s) w.phase_s[kPhaseReduce] += (now_s() - t1) * threads;
}

}  // namespace
}  // namespace tb::flash_detail

// Defines and instantiates the entry points declared by TB_FLASH_DECLARE_ISA(isa).
#define TB_FLASH_DEFINE_ISA(isa)                                                                                 \
  namespace tb::flash_detail {                                                                                   \
  template <typename T>                                                                                          \
  void forward_##isa(const Dims& s, const T* q, const T* k, const T* v, T* o, float* lse, float* work,          \
                     Index stride, int threads, double* phase_s) {                                               \
    forward_kernel(s, q, k, v, o, lse, work, stride, threads, phase_s);                                          \
  }                                                                                                              \
  template <typename T>                                                                                          \
  void backward_##isa(const Dims& s, const T* q, const T* k, const T* v, const T* o, const float* lse,          \
                      const T* dout, T* dq, T* dk, T* dv, const BackwardScratch& scratch, int threads) {        \
    backward_all(s, q, k, v, o, lse, dout, dq, dk, dv, scratch, threads);                                        \
  }                                                                                                              \
  Index register_tile_##isa() { return kVL * kNV; }                                                              \
  template void forward_##isa<float>(const Dims&, const float*, const float*, const float*, float*, float*,     \
                                     float*, Index, int, double*);                                               \
  template void forward_##isa<std::uint16_t>(const Dims&, const std::uint16_t*, const std::uint16_t*,           \
                                             const std::uint16_t*, std::uint16_t*, float*, float*, Index, int,   \
                                             double*);                                                           \
  template void backward_##isa<float>(const Dims&, const float*, const float*, const float*, const float*,      \
                                      const float*, const float*, float*, float*, float*,                        \
                                      const BackwardScratch&, int);                                              \
  template void backward_##isa<std::uint16_t>(const Dims&, const std::uint16_t*, const std::uint16_t*,          \
                                              const std::uint16_t*, const std::uint16_t*, const float*,          \
                                              const std::uint16_t*, std::uint16_t*, std::uint16_t*,              \
                                              std::uint16_t*, const BackwardScratch&, int);                      \
  }

#endif  // TB_FLASH_VL
