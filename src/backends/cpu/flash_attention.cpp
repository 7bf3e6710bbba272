// Fused attention on the CPU: shape checks, scratch allocation, the choice of
// instruction set, and the portable build of the kernels (baseline flags: SSE2
// on x86-64). The kernels themselves are in flash_attention_impl.h.
#define TB_FLASH_VL 4  // floats per 128-bit register (SSE2, NEON)
#define TB_FLASH_MR 6  // register tile: 6 rows x 2 registers = 12 accumulators of 16
#define TB_FLASH_NV 2
#include "backends/cpu/flash_attention.h"

#include <omp.h>

#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>

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

// Per-thread scratch slices, 64-byte aligned.
class Workspace {
 public:
  Workspace(Index per_thread, int threads) : stride_((per_thread + 15) / 16 * 16) {
    const std::size_t bytes = static_cast<std::size_t>(stride_) * static_cast<std::size_t>(threads) * sizeof(float);
    data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (data_ == nullptr) throw std::bad_alloc();
  }
  ~Workspace() { std::free(data_); }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  float* data() const { return data_; }
  Index stride() const { return stride_; }

 private:
  Index stride_;
  float* data_ = nullptr;
};

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

template <typename T>
void forward(Isa isa, const AttentionShape& shape, const T* q, const T* k, const T* v, T* o, float* lse) {
  const Dims s = checked(shape);
  require(isa);
  const int threads = thread_count();
  const Workspace work(forward_workspace(s.d), threads);
  switch (isa) {
#ifdef TB_FLASH_X86
    case Isa::kAvx512: return forward_avx512(s, q, k, v, o, lse, work.data(), work.stride(), threads);
    case Isa::kAvx2: return forward_avx2(s, q, k, v, o, lse, work.data(), work.stride(), threads);
#endif
    default: return forward_portable(s, q, k, v, o, lse, work.data(), work.stride(), threads);
  }
}

template <typename T>
void backward(Isa isa, const AttentionShape& shape, const T* q, const T* k, const T* v, const T* o, const float* lse,
              const T* dout, T* dq, T* dk, T* dv) {
  const Dims s = checked(shape);
  require(isa);
  const int threads = thread_count();
  const Workspace work(backward_workspace(s.d), threads);
  switch (isa) {
#ifdef TB_FLASH_X86
    case Isa::kAvx512:
      return backward_avx512(s, q, k, v, o, lse, dout, dq, dk, dv, work.data(), work.stride(), threads);
    case Isa::kAvx2:
      return backward_avx2(s, q, k, v, o, lse, dout, dq, dk, dv, work.data(), work.stride(), threads);
#endif
    default: return backward_portable(s, q, k, v, o, lse, dout, dq, dk, dv, work.data(), work.stride(), threads);
  }
}

template void forward<float>(Isa, const AttentionShape&, const float*, const float*, const float*, float*, float*);
template void forward<std::uint16_t>(Isa, const AttentionShape&, const std::uint16_t*, const std::uint16_t*,
                                     const std::uint16_t*, std::uint16_t*, float*);
template void backward<float>(Isa, const AttentionShape&, const float*, const float*, const float*, const float*,
                              const float*, const float*, float*, float*, float*);
template void backward<std::uint16_t>(Isa, const AttentionShape&, const std::uint16_t*, const std::uint16_t*,
                                      const std::uint16_t*, const std::uint16_t*, const float*, const std::uint16_t*,
                                      std::uint16_t*, std::uint16_t*, std::uint16_t*);

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
