#include "kernels/allreduce/reduce_op.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "common/echo.h"

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
    case DType::kFp8E4m3: {  // all-reduce problems refuse fp8 at parse time; kept exact for direct callers
      const auto* x = static_cast<const std::uint8_t*>(a);
      const auto* y = static_cast<const std::uint8_t*>(b);
      auto* z = static_cast<std::uint8_t*>(out);
      for (std::size_t i = 0; i < n; ++i) {
        z[i] = float_to_fp8_e4m3(apply<Op>(fp8_e4m3_to_float(x[i]), fp8_e4m3_to_float(y[i])));
      }
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
  return bad_input("unknown reduction op '" + echo_value(name) + "': expected one of sum, max, min");
}

void reduce_elements(void* out, const void* a, const void* b, std::int64_t count, DType dtype, ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return reduce_typed<ReduceOp::kSum>(out, a, b, count, dtype);
    case ReduceOp::kMax: return reduce_typed<ReduceOp::kMax>(out, a, b, count, dtype);
    case ReduceOp::kMin: return reduce_typed<ReduceOp::kMin>(out, a, b, count, dtype);
  }
}

}  // namespace tb
