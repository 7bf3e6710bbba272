// Element types of kernel operands, and the conversions between their storage
// formats and float. bf16 and fp16 are stored as their IEEE bit patterns in a
// uint16_t; conversions from float round to nearest, ties to even.
#pragma once

#include <cstddef>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace tb {

enum class DType { kFp32, kBf16, kFp16 };

std::string_view dtype_name(DType dtype);            // "fp32", "bf16", "fp16"
Expected<DType> parse_dtype(std::string_view name);  // inverse of dtype_name
std::size_t dtype_size(DType dtype);                 // bytes per element

// Unit roundoff u = 2^-p (p = significand bits incl. the implicit one):
// fp32 2^-24, bf16 2^-8, fp16 2^-11. Used by the verification tolerances.
double unit_roundoff(DType dtype);

// Inline: the all-reduce reduction loops convert every element.
inline std::uint16_t float_to_bf16(float value) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if (std::isnan(value)) return static_cast<std::uint16_t>((bits >> 16) | 0x40);  // keep it a NaN
  const std::uint32_t rounding = 0x7FFF + ((bits >> 16) & 1);
  return static_cast<std::uint16_t>((bits + rounding) >> 16);
}

inline float bf16_to_float(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

inline std::uint16_t float_to_fp16(float value) {
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

inline float fp16_to_float(std::uint16_t bits) {
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

// Reads element `index` of a buffer of `dtype` as float / writes it from float
// (rounding to the dtype).
float load_as_float(const void* data, DType dtype, std::size_t index);
void store_from_float(void* data, DType dtype, std::size_t index, float value);

}  // namespace tb
