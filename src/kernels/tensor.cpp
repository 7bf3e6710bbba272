#include "kernels/tensor.h"

#include <limits>

#include "common/checked_math.h"

namespace tb {
std::int64_t TensorSpec::elements() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::int64_t TensorSpec::bytes() const { return elements() * static_cast<std::int64_t>(dtype_size(dtype)); }

std::optional<std::int64_t> TensorSpec::checked_bytes() const {
  const std::optional<std::int64_t> n = checked_product(shape);
  if (!n) return std::nullopt;
  return checked_mul(*n, static_cast<std::int64_t>(dtype_size(dtype)));
}

HostTensor::HostTensor(TensorSpec s) : spec(std::move(s)), data(static_cast<std::size_t>(spec.bytes())) {}

void fill_uniform(HostTensor& tensor, std::uint64_t seed, std::uint64_t stream) {
  const std::uint64_t base = splitmix64(seed ^ splitmix64(stream + 0x5851F42D4C957F2Dull));
  const auto n = static_cast<std::size_t>(tensor.spec.elements());
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t r = splitmix64(base + i);
    const double unit = static_cast<double>(r >> 11) * 0x1.0p-53;  // [0, 1)
    tensor.set(i, static_cast<float>(2.0 * unit - 1.0));
  }
}

void fill_nan(HostTensor& tensor) {
  const auto n = static_cast<std::size_t>(tensor.spec.elements());
  for (std::size_t i = 0; i < n; ++i) tensor.set(i, std::numeric_limits<float>::quiet_NaN());
}

}  // namespace tb
