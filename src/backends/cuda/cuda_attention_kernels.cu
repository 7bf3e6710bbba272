// Our flash-attention kernels (FlashAttention-2 algorithm, plain CUDA-core FMA
// code: no tensor cores). Storage in fp16 or bf16, every product, sum and
// softmax statistic in fp32. Conventions (layouts, GQA, causal alignment,
// fully masked rows): kernels/attention/attention_shape.h.
//
// Tiling (kAttentionBlockM = BM = 32 query rows, kAttentionBlockN = BN = 32
// key rows, 128 threads = 4 per tile row):
//
// Forward, one block per (query tile, query head, batch):
//   Q tile [BM, D] in shared memory; loop over K/V tiles [BN, D] in shared
//   memory. Thread t owns query row r = t / 4 and, within it, the "lane"
//   l = t % 4: score columns c = l, l+4, ..., l+28 of the tile and output
//   columns l, l+4, ..., l+D-4 (D/4 fp32 accumulators in registers). The four
//   threads of a row are adjacent lanes of one warp, so row max and row sum
//   are two __shfl_xor_sync steps (xor 1, xor 2). Online softmax per row:
//     m' = max(m, max_c s_c);  alpha = exp(m - m');  p_c = exp(s_c - m')
//     l' = alpha * l + sum_c p_c;  acc' = alpha * acc + P V
//   At the end o = acc / l and lse = m + log(l); a row with no key to attend
//   keeps m = -inf, l = 0 and gets o = 0, lse = -inf (attention_shape.h).
//   While m' is still -inf, exponents use 0 instead of m' so that
//   exp(-inf - -inf) = NaN cannot happen: exp(-inf - 0) = 0.
//
// Backward (FlashAttention-2): delta_i = rowsum(dO_i * O_i) first (one warp per
// row); then one block per (key tile, key/value head, batch) keeps its K, V
// tile in shared memory and dK, dV for it in registers (thread t: key row
// t / 4, columns t % 4 + 4k), and loops over every query head of its GQA
// group and every query tile that can see the key tile:
//     P  = exp(scale * Q K^T - lse)        (recomputed; masked entries 0)
//     dP = dO V^T;  dS = P * (dP - delta)
//     dV += P^T dO;  dK += scale * dS^T Q;  dQ += scale * dS K
//   dQ is shared by all key tiles, so it is accumulated with fp32 atomicAdd
//   into a dense fp32 scratch, zeroed first and converted to the element type
//   by a last kernel. dK and dV have one writer (the block), no atomics:
//   the query heads of a GQA group are summed inside the block.
//
// Shared-memory rows are padded by 2 elements (4 bytes) so that the 8 rows a
// warp reads at once fall in different banks.
#include "backends/cuda/cuda_attention_kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>

namespace tb::cuda {
namespace {

constexpr int BM = kAttentionBlockM;
constexpr int BN = kAttentionBlockN;
constexpr int kThreads = kAttentionThreads;
constexpr int kLanes = 4;  // threads per tile row
constexpr int kPad = 2;    // elements of padding per shared-memory row
static_assert(kThreads == kLanes * BM && kThreads == kLanes * BN, "4 threads per tile row");
static_assert(BM % kLanes == 0 && BN % kLanes == 0, "tile rows split over 4 lanes");

__device__ __forceinline__ float to_float(__half x) { return __half2float(x); }
__device__ __forceinline__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
template <typename T>
__device__ __forceinline__ T from_float(float x);
template <>
__device__ __forceinline__ __half from_float<__half>(float x) { return __float2half_rn(x); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

// Whether query row i may attend key j (attention_shape.h), bounds included.
__device__ __forceinline__ bool attends(const AttentionDims& s, std::int64_t i, std::int64_t j) {
  return i < s.sq && j < s.skv && (!s.causal || j <= i + (s.skv - s.sq));
}

// Copies rows [row0, row0 + ROWS) of a [seq, D] slice (row stride `stride`)
// into shared memory; rows at or past `seq` become zeros.
template <typename T, int ROWS, int D>
__device__ __forceinline__ void load_tile(T (*dst)[D + kPad], const T* src, std::int64_t stride, std::int64_t row0,
                                          std::int64_t seq) {
  for (int e = threadIdx.x; e < ROWS * D; e += kThreads) {
    const int r = e / D, c = e % D;
    const std::int64_t row = row0 + r;
    dst[r][c] = row < seq ? src[row * stride + c] : from_float<T>(0.0f);
  }
}

// x . y over D shared-memory values, in fp32.
template <typename T, int D>
__device__ __forceinline__ float dot_row(const T* x, const T* y) {
  float acc = 0.0f;
#pragma unroll 8
  for (int e = 0; e < D; ++e) acc = fmaf(to_float(x[e]), to_float(y[e]), acc);
  return acc;
}

// ---- Forward ------------------------------------------------------------------------

template <typename T, int D>
__global__ void __launch_bounds__(kThreads) attention_forward_kernel(AttentionDims s, AttentionForwardArgs a) {
  constexpr int kCols = D / kLanes;  // output columns per thread
  __shared__ T q_s[BM][D + kPad];
  __shared__ T k_s[BN][D + kPad];
  __shared__ T v_s[BN][D + kPad];
  __shared__ float p_s[BM][BN + 1];

  const int tid = threadIdx.x;
  const int row = tid / kLanes;   // tile row this thread owns
  const int lane = tid % kLanes;  // which quarter of the row's columns
  const std::int64_t i0 = static_cast<std::int64_t>(blockIdx.x) * BM;
  const std::int64_t hq = blockIdx.y, bi = blockIdx.z;
  const std::int64_t hk = hq / (s.h / s.kvh);  // GQA: key/value head of query head hq
  const std::int64_t i = i0 + row;             // query row of this thread (may be >= sq)

  const T* q = static_cast<const T*>(a.q) + bi * a.q_layout.batch + hq * a.q_layout.head;
  const T* k = static_cast<const T*>(a.k) + bi * a.kv_layout.batch + hk * a.kv_layout.head;
  const T* v = static_cast<const T*>(a.v) + bi * a.kv_layout.batch + hk * a.kv_layout.head;
  T* o = static_cast<T*>(a.o) + bi * a.q_layout.batch + hq * a.q_layout.head;
  float* lse = a.lse + (bi * s.h + hq) * s.sq;

  load_tile<T, BM, D>(q_s, q, a.q_layout.row, i0, s.sq);

  // Keys any row of this tile may attend: [0, kv_end). Causal: the tile's last
  // real row i_last attends keys up to i_last + skv - sq.
  std::int64_t kv_end = s.skv;
  if (s.causal) {
    const std::int64_t i_last = (i0 + BM < s.sq ? i0 + BM : s.sq) - 1;
    const std::int64_t last_key = i_last + (s.skv - s.sq);
    kv_end = last_key + 1 < 0 ? 0 : (last_key + 1 < s.skv ? last_key + 1 : s.skv);
  }

  float m = -INFINITY;  // running max of this row's scaled scores
  float l = 0.0f;       // running sum of exp(score - m)
  float acc[kCols];     // running sum of exp(score - m) * v, columns lane + 4c
#pragma unroll
  for (int c = 0; c < kCols; ++c) acc[c] = 0.0f;

  for (std::int64_t j0 = 0; j0 < kv_end; j0 += BN) {
    __syncthreads();  // every thread is done with the previous k_s, v_s, p_s (and q_s is loaded)
    load_tile<T, BN, D>(k_s, k, a.kv_layout.row, j0, s.skv);
    load_tile<T, BN, D>(v_s, v, a.kv_layout.row, j0, s.skv);
    __syncthreads();

    // Scores of row `row`, columns lane + 4c of this key tile.
    float sc[BN / kLanes];
    float tile_max = -INFINITY;
#pragma unroll
    for (int c = 0; c < BN / kLanes; ++c) {
      const int col = lane + kLanes * c;
      const float dot = dot_row<T, D>(q_s[row], k_s[col]);
      sc[c] = attends(s, i, j0 + col) ? dot * s.scale : -INFINITY;
      tile_max = fmaxf(tile_max, sc[c]);
    }
    // The row's 4 threads are lanes 4r..4r+3 of one warp: reduce over xor 1, 2.
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
    const float m_new = fmaxf(m, tile_max);
    const float m_use = m_new == -INFINITY ? 0.0f : m_new;  // no (-inf) - (-inf)
    const float alpha = expf(m - m_use);                     // 0 while m = -inf
    float p_sum = 0.0f;
#pragma unroll
    for (int c = 0; c < BN / kLanes; ++c) {
      const float p = expf(sc[c] - m_use);  // masked: exp(-inf) = 0
      p_s[row][lane + kLanes * c] = p;
      p_sum += p;
    }
    p_sum += __shfl_xor_sync(0xffffffffu, p_sum, 1);
    p_sum += __shfl_xor_sync(0xffffffffu, p_sum, 2);
    l = alpha * l + p_sum;
    m = m_new;
    __syncthreads();  // p_s row complete (written by the row's 4 threads)

    // acc = alpha * acc + P[row, :] V, columns lane + 4c.
#pragma unroll
    for (int c = 0; c < kCols; ++c) {
      const int col = lane + kLanes * c;
      float x = acc[c] * alpha;
#pragma unroll 8
      for (int jj = 0; jj < BN; ++jj) x = fmaf(p_s[row][jj], to_float(v_s[jj][col]), x);
      acc[c] = x;
    }
  }

  if (i < s.sq) {
    const float inv_l = l > 0.0f ? 1.0f / l : 0.0f;  // l = 0: fully masked row, o = 0
#pragma unroll
    for (int c = 0; c < kCols; ++c) o[i * a.q_layout.row + lane + kLanes * c] = from_float<T>(acc[c] * inv_l);
    if (lane == 0) lse[i] = l > 0.0f ? m + logf(l) : -INFINITY;
  }
}

// ---- Backward -----------------------------------------------------------------------

// delta[b, h, i] = sum_c dO[b, h, i, c] * O[b, h, i, c] (fp32): one warp per row.
template <typename T>
__global__ void __launch_bounds__(kThreads) attention_delta_kernel(AttentionDims s, AttentionBackwardArgs a) {
  const std::int64_t rows = s.b * s.h * s.sq;
  const std::int64_t n = static_cast<std::int64_t>(blockIdx.x) * (kThreads / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (n >= rows) return;  // whole warps leave together (n is per warp)
  const std::int64_t i = n % s.sq, hq = (n / s.sq) % s.h, bi = n / (s.sq * s.h);
  const std::int64_t off = bi * a.q_layout.batch + hq * a.q_layout.head + i * a.q_layout.row;
  const T* o = static_cast<const T*>(a.o) + off;
  const T* dout = static_cast<const T*>(a.dout) + off;
  float acc = 0.0f;
  for (std::int64_t c = lane; c < s.d; c += 32) acc = fmaf(to_float(dout[c]), to_float(o[c]), acc);
  for (int w = 16; w > 0; w /= 2) acc += __shfl_xor_sync(0xffffffffu, acc, w);
  if (lane == 0) a.delta[n] = acc;
}

// dq_row[col] += scale * sum_c ds_row[c] K[c][col] for this lane's columns (lane + 4c), atomically:
// every key tile of the grid adds into the same fp32 row.
template <typename T, int D>
__device__ __forceinline__ void accumulate_dq_row(const float (&ds_row)[BN + 1], const T (&k_s)[BN][D + kPad],
                                                  float* dq_row, int lane, float scale) {
#pragma unroll
  for (int c = 0; c < D / kLanes; ++c) {
    const int col = lane + kLanes * c;
    float x = 0.0f;
#pragma unroll 8
    for (int cc = 0; cc < BN; ++cc) x = fmaf(ds_row[cc], to_float(k_s[cc][col]), x);
    atomicAdd(&dq_row[col], x * scale);
  }
}

// out[lane + 4c] = scale * acc[c]: this lane's columns of one dK or dV row.
template <typename T, int D>
__device__ __forceinline__ void store_key_row(const float (&acc)[D / kLanes], float scale, T* out, int lane) {
#pragma unroll
  for (int c = 0; c < D / kLanes; ++c) out[lane + kLanes * c] = from_float<T>(acc[c] * scale);
}

template <typename T, int D>
__global__ void __launch_bounds__(kThreads) attention_backward_kernel(AttentionDims s, AttentionBackwardArgs a) {
  constexpr int kCols = D / kLanes;
  __shared__ T k_s[BN][D + kPad];
  __shared__ T v_s[BN][D + kPad];
  __shared__ T q_s[BM][D + kPad];
  __shared__ T do_s[BM][D + kPad];
  __shared__ float p_s[BM][BN + 1];   // P[r][c]
  __shared__ float ds_s[BM][BN + 1];  // dS[r][c]
  __shared__ float lse_s[BM];
  __shared__ float delta_s[BM];

  const int tid = threadIdx.x;
  const int lane = tid % kLanes;
  const int key = tid / kLanes;  // key row of the tile whose dK, dV this thread accumulates
  const std::int64_t j0 = static_cast<std::int64_t>(blockIdx.x) * BN;
  const std::int64_t hk = blockIdx.y, bi = blockIdx.z;
  const std::int64_t group = s.h / s.kvh;
  const std::int64_t j = j0 + key;

  const std::int64_t kv_off = bi * a.kv_layout.batch + hk * a.kv_layout.head;
  load_tile<T, BN, D>(k_s, static_cast<const T*>(a.k) + kv_off, a.kv_layout.row, j0, s.skv);
  load_tile<T, BN, D>(v_s, static_cast<const T*>(a.v) + kv_off, a.kv_layout.row, j0, s.skv);

  float dk[kCols], dv[kCols];  // columns lane + 4c of key row `key`
#pragma unroll
  for (int c = 0; c < kCols; ++c) dk[c] = dv[c] = 0.0f;

  // Query rows that can see a key of this tile: causal, i >= j0 - (skv - sq).
  std::int64_t i_start = 0;
  if (s.causal) {
    const std::int64_t first = j0 - (s.skv - s.sq);
    i_start = first > 0 ? first / BM * BM : 0;
  }

  for (std::int64_t g = 0; g < group; ++g) {
    const std::int64_t hq = hk * group + g;
    const std::int64_t q_off = bi * a.q_layout.batch + hq * a.q_layout.head;
    const T* q = static_cast<const T*>(a.q) + q_off;
    const T* dout = static_cast<const T*>(a.dout) + q_off;
    const float* lse = a.lse + (bi * s.h + hq) * s.sq;
    const float* delta = a.delta + (bi * s.h + hq) * s.sq;
    float* dq = a.dq_accum + (bi * s.h + hq) * s.sq * D;  // dense fp32 scratch

    for (std::int64_t i0 = i_start; i0 < s.sq; i0 += BM) {
      __syncthreads();  // every thread is done with the previous q_s, do_s, p_s, ds_s (and k_s, v_s are loaded)
      load_tile<T, BM, D>(q_s, q, a.q_layout.row, i0, s.sq);
      load_tile<T, BM, D>(do_s, dout, a.q_layout.row, i0, s.sq);
      if (tid < BM) {
        const std::int64_t i = i0 + tid;
        lse_s[tid] = i < s.sq ? lse[i] : -INFINITY;
        delta_s[tid] = i < s.sq ? delta[i] : 0.0f;
      }
      __syncthreads();

      // P and dS for key column `key`, query rows lane + 4c of the tile.
#pragma unroll
      for (int c = 0; c < BM / kLanes; ++c) {
        const int r = lane + kLanes * c;
        const std::int64_t i = i0 + r;
        float p = 0.0f, ds = 0.0f;
        // lse = -inf: a fully masked row (every pair masked anyway; kept as a guard).
        if (attends(s, i, j) && lse_s[r] != -INFINITY) {
          p = expf(dot_row<T, D>(q_s[r], k_s[key]) * s.scale - lse_s[r]);
          const float dp = dot_row<T, D>(do_s[r], v_s[key]);
          ds = p * (dp - delta_s[r]);
        }
        p_s[r][key] = p;
        ds_s[r][key] = ds;
      }
      __syncthreads();  // P, dS tiles complete

      // dV[key] += sum_r P[r][key] dO[r];  dK[key] += sum_r dS[r][key] Q[r] (scale at the end).
#pragma unroll
      for (int c = 0; c < kCols; ++c) {
        const int col = lane + kLanes * c;
        float x = dv[c], y = dk[c];
#pragma unroll 8
        for (int r = 0; r < BM; ++r) {
          x = fmaf(p_s[r][key], to_float(do_s[r][col]), x);
          y = fmaf(ds_s[r][key], to_float(q_s[r][col]), y);
        }
        dv[c] = x;
        dk[c] = y;
      }

      // dQ[r] += scale * sum_c dS[r][c] K[c]: thread owns query row tid / 4 here.
      const int r = tid / kLanes;
      if (i0 + r < s.sq) accumulate_dq_row<T, D>(ds_s[r], k_s, dq + (i0 + r) * D, lane, s.scale);
    }
  }

  if (j < s.skv) {
    const std::int64_t row = kv_off + j * a.kv_layout.row;
    store_key_row<T, D>(dk, s.scale, static_cast<T*>(a.dk) + row, lane);
    store_key_row<T, D>(dv, 1.0f, static_cast<T*>(a.dv) + row, lane);
  }
}

// dq (element type, q_layout) = dq_accum (fp32, dense), grid-stride over elements.
template <typename T>
__global__ void __launch_bounds__(256) attention_dq_convert_kernel(AttentionDims s, AttentionBackwardArgs a) {
  const std::int64_t total = s.b * s.h * s.sq * s.d;
  for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t c = e % s.d, i = (e / s.d) % s.sq, hq = (e / (s.d * s.sq)) % s.h, bi = e / (s.d * s.sq * s.h);
    static_cast<T*>(a.dq)[bi * a.q_layout.batch + hq * a.q_layout.head + i * a.q_layout.row + c] =
        from_float<T>(a.dq_accum[e]);
  }
}

// ---- Launchers ----------------------------------------------------------------------

bool dims_ok(const AttentionDims& s) {
  return attention_head_dim_supported(s.d) && s.b >= 1 && s.h >= 1 && s.kvh >= 1 && s.sq >= 1 && s.skv >= 1 &&
         s.h % s.kvh == 0 && s.b <= 65535 && s.h <= 65535 &&  // grid.y, grid.z
         (s.sq + BM - 1) / BM <= 0x7fffffff && (s.skv + BN - 1) / BN <= 0x7fffffff &&  // grid.x
         (s.b * s.h * s.sq + kThreads / 32 - 1) / (kThreads / 32) <= 0x7fffffff;  // grid.x of the delta kernel
}

unsigned blocks(std::int64_t n, std::int64_t per_block) { return static_cast<unsigned>((n + per_block - 1) / per_block); }

template <typename T>
cudaError_t forward_as(const AttentionDims& s, const AttentionForwardArgs& a, cudaStream_t stream) {
  const dim3 grid(blocks(s.sq, BM), static_cast<unsigned>(s.h), static_cast<unsigned>(s.b));
  if (s.d == 64) {
    attention_forward_kernel<T, 64><<<grid, kThreads, 0, stream>>>(s, a);
  } else {
    attention_forward_kernel<T, 128><<<grid, kThreads, 0, stream>>>(s, a);
  }
  return cudaGetLastError();
}

template <typename T>
cudaError_t backward_as(const AttentionDims& s, const AttentionBackwardArgs& a, cudaStream_t stream) {
  cudaError_t err = cudaMemsetAsync(a.dq_accum, 0,
                                    static_cast<std::size_t>(attention_dq_accum_elements(s)) * sizeof(float), stream);
  if (err != cudaSuccess) return err;

  const std::int64_t rows = s.b * s.h * s.sq;
  attention_delta_kernel<T><<<blocks(rows, kThreads / 32), kThreads, 0, stream>>>(s, a);
  if ((err = cudaGetLastError()) != cudaSuccess) return err;

  const dim3 grid(blocks(s.skv, BN), static_cast<unsigned>(s.kvh), static_cast<unsigned>(s.b));
  if (s.d == 64) {
    attention_backward_kernel<T, 64><<<grid, kThreads, 0, stream>>>(s, a);
  } else {
    attention_backward_kernel<T, 128><<<grid, kThreads, 0, stream>>>(s, a);
  }
  if ((err = cudaGetLastError()) != cudaSuccess) return err;

  const std::int64_t total = attention_dq_accum_elements(s);
  const std::int64_t convert_blocks = (total + 255) / 256;
  attention_dq_convert_kernel<T>
      <<<static_cast<unsigned>(convert_blocks < 65536 ? convert_blocks : 65536), 256, 0, stream>>>(s, a);
  return cudaGetLastError();
}

}  // namespace

cudaError_t attention_forward(AttentionElement element, const AttentionDims& dims, const AttentionForwardArgs& args,
                              cudaStream_t stream) {
  if (!dims_ok(dims)) return cudaErrorInvalidValue;
  return element == AttentionElement::kFp16 ? forward_as<__half>(dims, args, stream)
                                            : forward_as<__nv_bfloat16>(dims, args, stream);
}

cudaError_t attention_backward(AttentionElement element, const AttentionDims& dims,
                               const AttentionBackwardArgs& args, cudaStream_t stream) {
  if (!dims_ok(dims)) return cudaErrorInvalidValue;
  return element == AttentionElement::kFp16 ? backward_as<__half>(dims, args, stream)
                                            : backward_as<__nv_bfloat16>(dims, args, stream);
}

}  // namespace tb::cuda
