// The kernel layer's interface: a Problem is an immutable, fully specified
// instance of a kernel (shape, dtype, options) that knows its work, its
// operands and how to verify a backend's outputs against the portable
// reference. To add a kernel: docs/adding-a-kernel.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/dtype.h"
#include "kernels/tensor.h"
#include "kernels/verification.h"

namespace tb {

class Problem {
 public:
  virtual ~Problem() = default;

  virtual std::string_view kernel() const = 0;  // "gemm"
  // Canonical problem string; parse_problem(to_string()) yields an equal problem.
  virtual std::string to_string() const = 0;
  virtual DType dtype() const = 0;  // the dtype peaks and tolerances refer to

  virtual double flop() const = 0;       // floating-point operations per execution (FLOP)
  virtual double min_bytes() const = 0;  // fewest bytes one execution must move through memory (B)

  virtual std::vector<TensorSpec> input_specs() const = 0;
  virtual std::vector<TensorSpec> output_specs() const = 0;

  // Seeded inputs in the order of input_specs().
  std::vector<HostTensor> make_inputs(std::uint64_t seed) const;

  // Compares `outputs` (in output_specs() order) with the reference kernel run
  // on `inputs`. Checks every element for small problems and a seeded sample
  // for large ones (docs/verification.md).
  virtual Verification verify(const std::vector<HostTensor>& inputs, const std::vector<HostTensor>& outputs,
                              std::uint64_t seed) const = 0;

  // Bytes of host memory a run needs: inputs, outputs, and the copies a
  // backend keeps (backends add their own on top).
  std::int64_t host_bytes() const;
};

using ProblemPtr = std::shared_ptr<const Problem>;

}  // namespace tb
