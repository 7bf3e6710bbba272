// Element types of kernel operands, and the conversions between their storage
// formats and float. bf16 and fp16 are stored as their IEEE bit patterns in a
// uint16_t, fp8 (e4m3) as its bit pattern in a uint8_t; conversions from float
// round to nearest, ties to even.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace tb {

// kFp8E4m3 ("fp8"): OCP FP8 E4M3, the "FN" variant NVIDIA Ada and Hopper
// tensor cores use (CUDA's __nv_fp8_e4m3): 1 sign bit, 4 exponent bits
// (bias 7), 3 mantissa bits; no infinities; NaN = S.1111.111 (0x7F, 0xFF);
// largest finite 448 (S.1111.110), smallest normal 2^-6, smallest subnormal
// 2^-9.
enum class DType { kFp32, kBf16, kFp16, kFp8E4m3 };

// Every DType, in declaration order (for parsing and for tests).
inline constexpr DType kAllDTypes[] = {DType::kFp32, DType::kBf16, DType::kFp16, DType::kFp8E4m3};

std::string_view dtype_name(DType dtype);            // "fp32", "bf16", "fp16", "fp8"
Expected<DType> parse_dtype(std::string_view name);  // inverse of dtype_name
std::size_t dtype_size(DType dtype);                 // bytes per element: 4, 2, 2, 1

// Unit roundoff u = 2^-p (p = significand bits incl. the implicit one):
// fp32 2^-24, bf16 2^-8, fp16 2^-11, fp8 e4m3 2^-4. Used by the verification
// tolerances.
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

// float -> fp8 e4m3: round to nearest, ties to even, saturating to finite
// as CUDA's __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3) does:
// magnitudes that round above 448, and infinities, become +-448; NaN becomes
// NaN (0x7F with the input's sign). Magnitudes below 2^-6 round on the
// subnormal grid (steps of 2^-9); at most 2^-10 (the tie with zero) they
// become a signed zero.
inline std::uint8_t float_to_fp8_e4m3(float value) {
  const std::uint32_t f = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint8_t>((f >> 24) & 0x80);
  const std::uint32_t abs = f & 0x7FFFFFFF;
  if (abs > 0x7F800000) return static_cast<std::uint8_t>(sign | 0x7F);  // NaN
  constexpr std::uint32_t kMaxFinite = 0x7E;                            // 448
  if (abs < 0x3C800000) {  // below 2^-6: subnormal or zero; one unit = 2^-9
    const float units = std::nearbyint(std::bit_cast<float>(abs) * 512.0f);  // exact scaling; ties to even
    return static_cast<std::uint8_t>(sign | static_cast<std::uint32_t>(units));  // 8 units = smallest normal
  }
  // Normal: keep 3 of float's 23 mantissa bits, rounding the 20 dropped ones to even, and
  // rebias the exponent from 127 to 7 (a carry out of the mantissa bumps the exponent).
  const std::uint32_t rounded = (abs + 0x7FFFF + ((abs >> 20) & 1)) >> 20;
  const std::uint32_t code = rounded - ((127 - 7) << 3);
  return static_cast<std::uint8_t>(sign | std::min(code, kMaxFinite));  // inf and > 448 saturate
}

// fp8 e4m3 -> float, exact (every e4m3 value is a float).
inline float fp8_e4m3_to_float(std::uint8_t bits) {
  const std::uint32_t sign = (static_cast<std::uint32_t>(bits) & 0x80) << 24;
  const std::uint32_t exponent = (bits >> 3) & 0xF;
  const std::uint32_t mantissa = bits & 0x7;
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) * 0x1p-9f;
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 15 && mantissa == 7) return std::bit_cast<float>(sign | 0x7FC00000);  // NaN
  return std::bit_cast<float>(sign | ((exponent + 127 - 7) << 23) | (mantissa << 20));
}

// Reads element `index` of a buffer of `dtype` as float / writes it from float
// (rounding to the dtype).
float load_as_float(const void* data, DType dtype, std::size_t index);
void store_from_float(void* data, DType dtype, std::size_t index, float value);

}  // namespace tb
