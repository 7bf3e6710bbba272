// Fused attention on the CPU: shape checks, scratch allocation, the choice of
// instruction set, and the portable build of the kernels (baseline flags: SSE2
// on x86-64). The kernels themselves are in flash_attention_impl.h.
#define TB_FLASH_VL 4  // floats per 128-bit register (SSE2, NEON)
#define TB_FLASH_MR 6  // register tile: 6 rows x 2 registers = 12 accumulators of 16
#define TB_FLASH_NV 2
#include "backends/cpu/flash_attention.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/cpu/flash_attention_impl.h"
#include "common/cpu_isa.h"

TB_FLASH_DEFINE_ISA(portable)

namespace tb {
namespace flash_detail {
namespace {

Dims checked(const AttentionShape& s) {
  if (s.b < 1 || s.h < 1 || s.kvh < 1 || s.sq < 1 || s.skv < 1 || s.d < 1 || s.h % s.kvh != 0) {
    throw std::invalid_argument("flash attention: bad shape b=" + std::to_string(s.b) + " h=" + std::to_string(s.h) +
                                " kvh=" + std::to_string(s.kvh) + " sq=" + std::to_string(s.sq) +
                                " skv=" + std::to_string(s.skv) + " d=" + std::to_string(s.d) +
                                " (extents must be >= 1 and h a multiple of kvh)");
  }
  return Dims{s.b, s.h, s.kvh, s.sq, s.skv, s.d, s.causal, s.scale};
}

// n floats (n >= 0), 64-byte aligned, freed on scope exit.
class AlignedFloats {
 public:
  explicit AlignedFloats(Index n)
      : data_(n > 0 ? static_cast<float*>(std::aligned_alloc(64, (static_cast<std::size_t>(n) * sizeof(float) + 63) /
                                                                       64 * 64))
                    : nullptr) {
    if (n > 0 && data_ == nullptr) throw std::bad_alloc();
  }
  ~AlignedFloats() { std::free(data_); }
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  float* data() const { return data_; }

 private:
  float* data_;
};

// Per-thread scratch slices of `stride` floats, each 64-byte aligned.
class Workspace {
 public:
  Workspace(Index per_thread, int threads) : stride_((per_thread + 15) / 16 * 16), buffer_(stride_ * threads) {}
  float* data() const { return buffer_.data(); }
  Index stride() const { return stride_; }

 private:
  Index stride_;
  AlignedFloats buffer_;
};

Index round_up_to(Index n, Index multiple) { return (n + multiple - 1) / multiple * multiple; }

int thread_count() {
  const int n = omp_get_max_threads();
  return n > 0 ? n : 1;
}

void require(Isa isa) {
  if (!isa_supported(isa)) {
    throw std::invalid_argument(std::string("flash attention: the ") + isa_name(isa) +
                                " kernels are not available on this build or CPU");
  }
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return "portable";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "?";
}

namespace {
[[maybe_unused]] CpuIsa usable() {
  static const CpuIsa isa = usable_cpu_isa();
  return isa;
}
}  // namespace

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return true;
#ifdef TB_FLASH_X86
    // What the CPU has, capped by TRAINBENCH_MAX_ISA (common/cpu_isa.h); read
    // once per process, since every kernel run checks it.
    case Isa::kAvx2: return usable() >= CpuIsa::kAvx2;
    case Isa::kAvx512: return usable() >= CpuIsa::kAvx512;
#endif
    default: return false;
  }
}

Isa best_isa() {
  static const Isa best = isa_supported(Isa::kAvx512) ? Isa::kAvx512
                          : isa_supported(Isa::kAvx2) ? Isa::kAvx2
                                                      : Isa::kPortable;
  return best;
}

namespace {

Index register_tile(Isa isa) {
  switch (isa) {
#ifdef TB_FLASH_X86
    case Isa::kAvx512: return register_tile_avx512();
    case Isa::kAvx2: return register_tile_avx2();
#endif
    default: return register_tile_portable();
  }
}

// Per-thread phase seconds while a kernel runs, summed into `phases` after.
class PhaseSeconds {
 public:
  PhaseSeconds(Phases* phases, int threads)
      : phases_(phases), seconds_(phases ? static_cast<std::size_t>(threads) * kPhases : 0, 0.0) {}
  ~PhaseSeconds() {
    if (!phases_) return;
    double* to[kPhases] = {&phases_->matmul_s, &phases_->exp_s, &phases_->reduce_s, &phases_->other_s};
    for (std::size_t i = 0; i < seconds_.size(); ++i) *to[i % kPhases] += seconds_[i];
  }
  PhaseSeconds(const PhaseSeconds&) = delete;
  PhaseSeconds& operator=(const PhaseSeconds&) = delete;
  double* data() { return phases_ ? seconds_.data() : nullptr; }

 private:
  Phases* phases_;
  std::vector<double> seconds_;
};

}  // namespace

namespace {
// Bytes of one dq accumulator, at most: rows padded to 64 floats, the widest register tile.
Index accumulator_bytes(const AttentionShape& shape) {
  return shape.b * shape.h * shape.sq * round_up_to(shape.d, 64) * Index{sizeof(float)};
}
}  // namespace

Index backward_splits(const AttentionShape& shape, int threads) {
  const Index kvheads = shape.b * shape.kvh, key_tiles = (shape.skv + kKeyLanes - 1) / kKeyLanes;
  if (kvheads % threads == 0 || kvheads >= 4 * threads) return 1;  // whole kv heads balance the threads
  Index splits = std::min<Index>(key_tiles, (2 * threads + kvheads - 1) / kvheads);
  while (splits > 1 && splits * accumulator_bytes(shape) > kMaxDqAccumulatorBytes) --splits;
  return splits;
}

Index backward_extra_bytes(const AttentionShape& shape, int threads) {
  return shape.b * shape.h * shape.sq * 2 * Index{sizeof(float)} + backward_splits(shape, threads) * accumulator_bytes(shape);
}

template <typename T>
void forward(Isa isa, const AttentionShape& shape, const T* q, const T* k, const T* v, T* o, float* lse,
             Phases* phases) {
  const Dims s = checked(shape);
  require(isa);
  const int threads = thread_count();
  const Workspace work(forward_workspace(s.d), threads);
  PhaseSeconds phase_s(phases, threads);
  switch (isa) {
#ifdef TB_FLASH_X86
    case Isa::kAvx512: return forward_avx512(s, q, k, v, o, lse, work.data(), work.stride(), threads, phase_s.data());
    case Isa::kAvx2: return forward_avx2(s, q, k, v, o, lse, work.data(), work.stride(), threads, phase_s.data());
#endif
    default: return forward_portable(s, q, k, v, o, lse, work.data(), work.stride(), threads, phase_s.data());
  }
}

template <typename T>
void backward(Isa isa, const AttentionShape& shape, const T* q, const T* k, const T* v, const T* o, const float* lse,
              const T* dout, T* dq, T* dk, T* dv, Phases* phases) {
  const Dims s = checked(shape);
  require(isa);
  const int threads = thread_count();
  const Index dp = round_up_to(s.d, register_tile(isa)), splits = backward_splits(shape, threads);
  const Index rows = s.b * s.h * s.sq;
  // fp32 with one split and unpadded rows: dq itself is the accumulator.
  const bool in_place = sizeof(T) == sizeof(float) && splits == 1 && dp == s.d;
  const Workspace work(backward_workspace(s.d, dp), threads);
  const AlignedFloats row_stats(2 * rows);
  const AlignedFloats acc(in_place ? 0 : splits * rows * dp);
  PhaseSeconds phase_s(phases, threads);
  const BackwardScratch scratch{work.data(), work.stride(),  row_stats.data(),
                                in_place ? reinterpret_cast<float*>(dq) : acc.data(),
                                dp,          splits,         phase_s.data()};
  switch (isa) {
#ifdef TB_FLASH_X86
    case Isa::kAvx512: return backward_avx512(s, q, k, v, o, lse, dout, dq, dk, dv, scratch, threads);
    case Isa::kAvx2: return backward_avx2(s, q, k, v, o, lse, dout, dq, dk, dv, scratch, threads);
#endif
    default: return backward_portable(s, q, k, v, o, lse, dout, dq, dk, dv, scratch, threads);
  }
}

template void forward<float>(Isa, const AttentionShape&, const float*, const float*, const float*, float*, float*,
                             Phases*);
template void forward<std::uint16_t>(Isa, const AttentionShape&, const std::uint16_t*, const std::uint16_t*,
                                     const std::uint16_t*, std::uint16_t*, float*, Phases*);
template void backward<float>(Isa, const AttentionShape&, const float*, const float*, const float*, const float*,
                              const float*, const float*, float*, float*, float*, Phases*);
template void backward<std::uint16_t>(Isa, const AttentionShape&, const std::uint16_t*, const std::uint16_t*,
                                      const std::uint16_t*, const std::uint16_t*, const float*, const std::uint16_t*,
                                      std::uint16_t*, std::uint16_t*, std::uint16_t*, Phases*);

}  // namespace flash_detail

template <typename T>
void flash_attention_forward(const AttentionShape& s, const T* q, const T* k, const T* v, T* o, float* lse) {
  flash_detail::forward(flash_detail::best_isa(), s, q, k, v, o, lse);
}

template <typename T>
void flash_attention_backward(const AttentionShape& s, const T* q, const T* k, const T* v, const T* o,
                              const float* lse, const T* dout, T* dq, T* dk, T* dv) {
  flash_detail::backward(flash_detail::best_isa(), s, q, k, v, o, lse, dout, dq, dk, dv);
}

template void flash_attention_forward<float>(const AttentionShape&, const float*, const float*, const float*, float*,
                                             float*);
template void flash_attention_forward<std::uint16_t>(const AttentionShape&, const std::uint16_t*,
                                                     const std::uint16_t*, const std::uint16_t*, std::uint16_t*,
                                                     float*);
template void flash_attention_backward<float>(const AttentionShape&, const float*, const float*, const float*,
                                              const float*, const float*, const float*, float*, float*, float*);
template void flash_attention_backward<std::uint16_t>(const AttentionShape&, const std::uint16_t*,
                                                      const std::uint16_t*, const std::uint16_t*,
                                                      const std::uint16_t*, const float*, const std::uint16_t*,
                                                      std::uint16_t*, std::uint16_t*, std::uint16_t*);

}  // namespace tb
