#include "kernels/problem.h"

#include <cmath>
#include <limits>

#include "common/checked_math.h"

namespace tb {
namespace {

// "2147483647 x 2147483647 fp32 elements (4 B each)"
std::string describe_tensor(const TensorSpec& spec) {
  std::string shape;
  for (const std::int64_t d : spec.shape) shape += (shape.empty() ? "" : " x ") + std::to_string(d);
  return (shape.empty() ? "1" : shape) + " " + std::string(dtype_name(spec.dtype)) + " elements (" +
         std::to_string(dtype_size(spec.dtype)) + " B each)";
}

constexpr const char* kExpectedSizes = "expected sizes whose tensors fit in memory";

// The bytes of every input and output together, checked against kMaxTensorBytes.
Expected<std::int64_t> tensor_bytes(const Problem& problem) {
  std::int64_t total = 0;
  for (const std::vector<TensorSpec>& specs : {problem.input_specs(), problem.output_specs()}) {
    for (const TensorSpec& spec : specs) {
      const std::optional<std::int64_t> bytes = spec.checked_bytes();
      if (!bytes) {
        return bad_input("tensor " + spec.name + " of " + describe_tensor(spec) +
                         ": its byte count overflows 64-bit arithmetic: " + kExpectedSizes);
      }
      const std::optional<std::int64_t> sum = checked_add(total, *bytes);
      if (!sum || *sum > Problem::kMaxTensorBytes) {
        return bad_input("tensor " + spec.name + " of " + describe_tensor(spec) + " brings the tensors to more than " +
                         "2^60 bytes (1 EiB): " + kExpectedSizes);
      }
      total = *sum;
    }
  }
  return total;
}

}  // namespace

std::vector<HostTensor> Problem::make_inputs(std::uint64_t seed, int /*process_rank*/) const {
  std::vector<HostTensor> inputs;
  std::uint64_t stream = 0;
  for (const TensorSpec& spec : input_specs()) {
    inputs.emplace_back(spec);
    fill_uniform(inputs.back(), seed, stream++);
  }
  return inputs;
}

Status Problem::check_sizes() const {
  TB_RETURN_IF_ERROR(tensor_bytes(*this));
  if (!std::isfinite(flop()) || !std::isfinite(min_bytes())) {
    return bad_input("its FLOP or byte count is not a finite number: " + std::string(kExpectedSizes));
  }
  return {};
}

std::int64_t Problem::host_bytes() const {
  const Expected<std::int64_t> bytes = tensor_bytes(*this);
  return bytes ? *bytes : std::numeric_limits<std::int64_t>::max();
}

}  // namespace tb
