// The kernel layer's interface: a Problem is an immutable, fully specified
// instance of a kernel (shape, dtype, options) that knows its work, its
// operands and how to verify a backend's outputs against the portable
// reference. To add a kernel: docs/adding-a-kernel.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/dtype.h"
#include "kernels/tensor.h"
#include "kernels/verification.h"

namespace tb {

// What a collective (all-reduce) reports beyond a compute kernel, so that the
// runner can derive bus bandwidth and the reports can print the nccl-tests
// columns (docs/allreduce.md).
struct CollectiveInfo {
  int ranks = 1;
  std::string transport;    // "threads" (one process) or "mpi" (one process per rank)
  std::string algo;         // "ring" (ours) or "mpi" (the MPI library's MPI_Allreduce)
  std::string op;           // reduction: "sum", "max", "min"
  bool in_place = false;    // output buffer == input buffer
  std::int64_t count = 0;   // elements per rank
  double bus_factor = 1.0;  // busbw = algbw * bus_factor; all-reduce: 2 (ranks - 1) / ranks
};

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

  // Seeded inputs in the order of input_specs(), as process `process_rank` of
  // a multi-process run needs them (single-process problems ignore the rank;
  // an all-reduce over MPI builds only that rank's send buffer).
  virtual std::vector<HostTensor> make_inputs(std::uint64_t seed, int process_rank) const;
  std::vector<HostTensor> make_inputs(std::uint64_t seed) const { return make_inputs(seed, 0); }

  // Set for collectives; the runner then reports algbw, busbw and ranks.
  virtual std::optional<CollectiveInfo> collective() const { return std::nullopt; }

  // Compares `outputs` (in output_specs() order) with the reference kernel run
  // on `inputs`. Checks every element for small problems and a seeded sample
  // for large ones (docs/verification.md).
  virtual Verification verify(const std::vector<HostTensor>& inputs, const std::vector<HostTensor>& outputs,
                              std::uint64_t seed) const = 0;
  // As verify(), for a kernel that rounds its inputs to a coarser precision,
  // of unit roundoff `input_unit_roundoff`, before multiplying
  // (Workload::input_unit_roundoff(), e.g. TF32's 2^-11): problems whose
  // tolerance models input rounding (GEMM) widen it; the others ignore it.
  virtual Verification verify_with_input_precision(const std::vector<HostTensor>& inputs,
                                                   const std::vector<HostTensor>& outputs, std::uint64_t seed,
                                                   double /*input_unit_roundoff*/) const {
    return verify(inputs, outputs, seed);
  }

  // Largest byte count of all a problem's tensors together (B): 2^60 (1 EiB),
  // far above any machine's memory, so that a backend adding its own copies
  // (a few times the tensors) still counts in int64 without overflow.
  static constexpr std::int64_t kMaxTensorBytes = std::int64_t{1} << 60;

  // Ok when every tensor's byte count and their total fit in kMaxTensorBytes
  // and flop() and min_bytes() are finite; otherwise a kBadInput error naming
  // the tensor, its shape and element size, e.g. "tensor a of 2147483647 x
  // 2147483647 fp32 elements (4 B each): its byte count overflows 64-bit
  // arithmetic: expected sizes whose tensors fit in memory". parse_problem
  // refuses every problem this refuses, before anything is allocated.
  Status check_sizes() const;

  // Bytes of host memory a run needs: inputs, outputs, and the copies a
  // backend keeps (backends add their own on top). For a problem that
  // check_sizes() refuses: the largest int64, which no memory check accepts.
  std::int64_t host_bytes() const;
};

using ProblemPtr = std::shared_ptr<const Problem>;

}  // namespace tb
