// Host tensors: the seeded inputs every backend uploads, and the outputs it
// reads back for verification. Row-major, densely packed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/dtype.h"

namespace tb {

struct TensorSpec {
  std::string name;                // "a", "b", "c": as the kernel's docs name them
  DType dtype;
  std::vector<std::int64_t> shape;  // elements per dimension, outermost first

  // Element count and bytes. Plain int64 arithmetic: valid for the tensors of
  // a problem whose sizes were checked (Problem::check_sizes; parse_problem
  // checks every problem it returns).
  std::int64_t elements() const;
  std::int64_t bytes() const;
  // bytes() with overflow-checked arithmetic: nullopt when the element count
  // or the byte count does not fit in int64.
  std::optional<std::int64_t> checked_bytes() const;
};

struct HostTensor {
  TensorSpec spec;
  std::vector<std::byte> data;  // spec.bytes() bytes

  explicit HostTensor(TensorSpec s);
  float at(std::size_t index) const { return load_as_float(data.data(), spec.dtype, index); }
  void set(std::size_t index, float value) { store_from_float(data.data(), spec.dtype, index, value); }
};

// SplitMix64: a counter-based generator (value i depends only on the seed and
// i), so fills are order independent and identical for any thread count.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Fills with uniform[-1, 1) values rounded to the tensor's dtype. Element i's
// value depends only on (seed, stream, i): the same on every machine and for
// any thread count. Never fills with zeros.
void fill_uniform(HostTensor& tensor, std::uint64_t seed, std::uint64_t stream);

// Fills every element with a quiet NaN (the "poison" written into outputs
// before a verification run, so unwritten elements cannot pass).
void fill_nan(HostTensor& tensor);

}  // namespace tb
