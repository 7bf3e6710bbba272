#include "common/dtype.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace tb {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return "fp32";
    case DType::kBf16: return "bf16";
    case DType::kFp16: return "fp16";
  }
  return "?";
}

Expected<DType> parse_dtype(std::string_view name) {
  for (DType d : {DType::kFp32, DType::kBf16, DType::kFp16}) {
    if (name == dtype_name(d)) return d;
  }
  return bad_input("unknown dtype '" + std::string(name) + "': expected one of fp32, bf16, fp16");
}

std::size_t dtype_size(DType dtype) { return dtype == DType::kFp32 ? 4 : 2; }

double unit_roundoff(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return std::ldexp(1.0, -24);
    case DType::kBf16: return std::ldexp(1.0, -8);
    case DType::kFp16: return std::ldexp(1.0, -11);
  }
  return 1.0;
}

std::uint16_t float_to_bf16(float value) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if (std::isnan(value)) return static_cast<std::uint16_t>((bits >> 16) | 0x40);  // keep it a NaN
  const std::uint32_t rounding = 0x7FFF + ((bits >> 16) & 1);
  return static_cast<std::uint16_t>((bits + rounding) >> 16);
}

float bf16_to_float(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

std::uint16_t float_to_fp16(float value) {
  const std::uint32_t f = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t sign = (f >> 16) & 0x8000;
  const std::uint32_t abs = f & 0x7FFFFFFF;
  if (abs >= 0x7F800000) {  // inf or NaN
    return static_cast<std::uint16_t>(sign | 0x7C00 | (abs > 0x7F800000 ? 0x200 : 0));
  }
  if (abs >= 0x477FF000) return static_cast<std::uint16_t>(sign | 0x7C00);  // rounds to inf
  if (abs < 0x38800000) {  // result is subnormal or zero: scale into the subnormal grid
    const float magnitude = std::bit_cast<float>(abs);
    const float scaled = magnitude * 16777216.0f;  // 2^24: one unit = smallest subnormal
    const auto units = static_cast<std::uint32_t>(std::nearbyint(scaled));  // ties to even
    return static_cast<std::uint16_t>(sign | units);
  }
  const std::uint32_t mantissa_lsb = (abs >> 13) & 1;
  const std::uint32_t rounded = abs + 0xFFF + mantissa_lsb;
  return static_cast<std::uint16_t>(sign | ((rounded - 0x38000000) >> 13));
}

float fp16_to_float(std::uint16_t bits) {
  const std::uint32_t sign = (static_cast<std::uint32_t>(bits) & 0x8000) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1F;
  const std::uint32_t mantissa = bits & 0x3FF;
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) * std::ldexp(1.0f, -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7F800000 | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

float load_as_float(const void* data, DType dtype, std::size_t index) {
  switch (dtype) {
    case DType::kFp32: return static_cast<const float*>(data)[index];
    case DType::kBf16: return bf16_to_float(static_cast<const std::uint16_t*>(data)[index]);
    case DType::kFp16: return fp16_to_float(static_cast<const std::uint16_t*>(data)[index]);
  }
  return 0.0f;
}

void store_from_float(void* data, DType dtype, std::size_t index, float value) {
  switch (dtype) {
    case DType::kFp32: static_cast<float*>(data)[index] = value; return;
    case DType::kBf16: static_cast<std::uint16_t*>(data)[index] = float_to_bf16(value); return;
    case DType::kFp16: static_cast<std::uint16_t*>(data)[index] = float_to_fp16(value); return;
  }
}

}  // namespace tb
