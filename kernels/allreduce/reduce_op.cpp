#include "kernels/allreduce/reduce_op.h"

#include <algorithm>
#include <cstring>
#include <string>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

namespace tb {
namespace {

template <ReduceOp Op>
inline float apply(float a, float b) {
  if constexpr (Op == ReduceOp::kSum) return a + b;
  if constexpr (Op == ReduceOp::kMax) return std::max(a, b);
  return std::min(a, b);
}

// One loop per (dtype, op) pair, so the compiler vectorizes each.
template <ReduceOp Op>
void reduce_typed(void* out, const void* a, const void* b, std::int64_t count, DType dtype) {
  const auto n = static_cast<std::size_t>(count);
  switch (dtype) {
    case DType::kFp32: {
      const auto* x = static_cast<const float*>(a);
      const auto* y = static_cast<const float*>(b);
      auto* z = static_cast<float*>(out);
      for (std::size_t i = 0; i < n; ++i) z[i] = apply<Op>(x[i], y[i]);
      return;
    }
    case DType::kBf16: {
      const auto* x = static_cast<const std::uint16_t*>(a);
      const auto* y = static_cast<const std::uint16_t*>(b);
      auto* z = static_cast<std::uint16_t*>(out);
      for (std::size_t i = 0; i < n; ++i) z[i] = float_to_bf16(apply<Op>(bf16_to_float(x[i]), bf16_to_float(y[i])));
      return;
    }
    case DType::kFp16: {
      const auto* x = static_cast<const std::uint16_t*>(a);
      const auto* y = static_cast<const std::uint16_t*>(b);
      auto* z = static_cast<std::uint16_t*>(out);
      for (std::size_t i = 0; i < n; ++i) z[i] = float_to_fp16(apply<Op>(fp16_to_float(x[i]), fp16_to_float(y[i])));
      return;
    }
  }
}

}  // namespace

std::string_view reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return "sum";
    case ReduceOp::kMax: return "max";
    case ReduceOp::kMin: return "min";
  }
  return "sum";
}

Expected<ReduceOp> parse_reduce_op(std::string_view name) {
  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMax, ReduceOp::kMin}) {
    if (reduce_op_name(op) == name) return op;
  }
  return bad_input("unknown reduction op '" + std::string(name) + "': expected one of sum, max, min");
}

void reduce_elements(void* out, const void* a, const void* b, std::int64_t count, DType dtype, ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return reduce_typed<ReduceOp::kSum>(out, a, b, count, dtype);
    case ReduceOp::kMax: return reduce_typed<ReduceOp::kMax>(out, a, b, count, dtype);
    case ReduceOp::kMin: return reduce_typed<ReduceOp::kMin>(out, a, b, count, dtype);
  }
}

void copy_streaming(void* dst, const void* src, std::size_t bytes) {
#if defined(__x86_64__)
  auto* d = static_cast<std::byte*>(dst);
  const auto* s = static_cast<const std::byte*>(src);
  // Plain stores up to the first 16-byte boundary of the destination, then
  // 64 bytes (one line) per iteration, then the tail.
  const std::size_t head = std::min(bytes, (16 - reinterpret_cast<std::uintptr_t>(d) % 16) % 16);
  std::memcpy(d, s, head);
  d += head;
  s += head;
  bytes -= head;
  const std::size_t lines = bytes / 64;
  for (std::size_t i = 0; i < lines; ++i, d += 64, s += 64) {
    const __m128i x0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    const __m128i x1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 16));
    const __m128i x2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 32));
    const __m128i x3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 48));
    _mm_stream_si128(reinterpret_cast<__m128i*>(d), x0);
    _mm_stream_si128(reinterpret_cast<__m128i*>(d + 16), x1);
    _mm_stream_si128(reinterpret_cast<__m128i*>(d + 32), x2);
    _mm_stream_si128(reinterpret_cast<__m128i*>(d + 48), x3);
  }
  std::memcpy(d, s, bytes - lines * 64);
  _mm_sfence();  // streaming stores are weakly ordered: publish them before any flag
#else
  std::memcpy(dst, src, bytes);
#endif
}

void reduce_elements_streaming(void* out, const void* a, const void* b, std::int64_t count, DType dtype, ReduceOp op) {
#if defined(__x86_64__)
  // Reduce a block into an L1-resident buffer, then stream it out.
  constexpr std::int64_t kBlockBytes = 4096;
  alignas(64) std::byte block[kBlockBytes];
  const auto size = static_cast<std::int64_t>(dtype_size(dtype));
  const std::int64_t per_block = kBlockBytes / size;
  for (std::int64_t begin = 0; begin < count; begin += per_block) {
    const std::int64_t n = std::min(per_block, count - begin);
    const std::int64_t offset = begin * size;
    reduce_elements(block, static_cast<const std::byte*>(a) + offset, static_cast<const std::byte*>(b) + offset, n,
                    dtype, op);
    copy_streaming(static_cast<std::byte*>(out) + offset, block, static_cast<std::size_t>(n * size));
  }
#else
  reduce_elements(out, a, b, count, dtype, op);
#endif
}

}  // namespace tb
