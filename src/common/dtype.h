// Element types of kernel operands, and the conversions between their storage
// formats and float. bf16 and fp16 are stored as their IEEE bit patterns in a
// uint16_t; conversions from float round to nearest, ties to even.
#pragma once

#include <cstddef>
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

std::uint16_t float_to_bf16(float value);
float bf16_to_float(std::uint16_t bits);
std::uint16_t float_to_fp16(float value);
float fp16_to_float(std::uint16_t bits);

// Reads element `index` of a buffer of `dtype` as float / writes it from float
// (rounding to the dtype).
float load_as_float(const void* data, DType dtype, std::size_t index);
void store_from_float(void* data, DType dtype, std::size_t index, float value);

}  // namespace tb
