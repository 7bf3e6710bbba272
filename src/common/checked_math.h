// Overflow-checked integer arithmetic for sizes (element counts, bytes):
// every product or sum of user-given sizes goes through these, so that a size
// too large for 64 bits is refused with a message instead of wrapping around.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace tb {

// a * b, or nullopt when the product does not fit in int64.
inline std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

// a + b, or nullopt when the sum does not fit in int64.
inline std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

// The product of `factors` (1 when empty), or nullopt when any partial
// product, taken left to right, does not fit in int64.
inline std::optional<std::int64_t> checked_product(std::span<const std::int64_t> factors) {
  std::int64_t product = 1;
  for (const std::int64_t f : factors) {
    const std::optional<std::int64_t> next = checked_mul(product, f);
    if (!next) return std::nullopt;
    product = *next;
  }
  return product;
}

}  // namespace tb
