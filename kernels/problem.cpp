#include "kernels/problem.h"

namespace tb {

std::vector<HostTensor> Problem::make_inputs(std::uint64_t seed, int /*process_rank*/) const {
  std::vector<HostTensor> inputs;
  std::uint64_t stream = 0;
  for (const TensorSpec& spec : input_specs()) {
    inputs.emplace_back(spec);
    fill_uniform(inputs.back(), seed, stream++);
  }
  return inputs;
}

std::int64_t Problem::host_bytes() const {
  std::int64_t bytes = 0;
  for (const TensorSpec& s : input_specs()) bytes += s.bytes();
  for (const TensorSpec& s : output_specs()) bytes += s.bytes();
  return bytes;
}

}  // namespace tb
