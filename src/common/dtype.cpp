#include "common/dtype.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "common/echo.h"

namespace tb {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return "fp32";
    case DType::kBf16: return "bf16";
    case DType::kFp16: return "fp16";
    case DType::kFp8E4m3: return "fp8";
  }
  return "?";
}

Expected<DType> parse_dtype(std::string_view name) {
  for (DType d : kAllDTypes) {
    if (name == dtype_name(d)) return d;
  }
  return bad_input("unknown dtype '" + echo_value(name) + "': expected one of fp32, bf16, fp16, fp8");
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return 4;
    case DType::kBf16:
    case DType::kFp16: return 2;
    case DType::kFp8E4m3: return 1;
  }
  return 4;
}

double unit_roundoff(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return std::ldexp(1.0, -24);
    case DType::kBf16: return std::ldexp(1.0, -8);
    case DType::kFp16: return std::ldexp(1.0, -11);
    case DType::kFp8E4m3: return std::ldexp(1.0, -4);
  }
  return 1.0;
}

float load_as_float(const void* data, DType dtype, std::size_t index) {
  switch (dtype) {
    case DType::kFp32: return static_cast<const float*>(data)[index];
    case DType::kBf16: return bf16_to_float(static_cast<const std::uint16_t*>(data)[index]);
    case DType::kFp16: return fp16_to_float(static_cast<const std::uint16_t*>(data)[index]);
    case DType::kFp8E4m3: return fp8_e4m3_to_float(static_cast<const std::uint8_t*>(data)[index]);
  }
  return 0.0f;
}

void store_from_float(void* data, DType dtype, std::size_t index, float value) {
  switch (dtype) {
    case DType::kFp32: static_cast<float*>(data)[index] = value; return;
    case DType::kBf16: static_cast<std::uint16_t*>(data)[index] = float_to_bf16(value); return;
    case DType::kFp16: static_cast<std::uint16_t*>(data)[index] = float_to_fp16(value); return;
    case DType::kFp8E4m3: static_cast<std::uint8_t*>(data)[index] = float_to_fp8_e4m3(value); return;
  }
}

}  // namespace tb
