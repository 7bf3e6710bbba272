// All-reduce: every rank contributes `count` elements and ends with the
// element-wise reduction over all ranks, measured the way nccl-tests measures
// it (docs/allreduce.md).
//
// Problem string:
//   allreduce:bytes=<B>,ranks=<N>[,dtype=fp32|bf16|fp16][,op=sum|max|min]   (dtype=fp8 is refused)
//             [,inplace=0|1][,algo=ring|mpi|nccl][,transport=threads|mpi]
// Defaults: dtype = fp32, op = sum, algo = ring, transport = mpi when the
// process was started by mpirun (or another MPI launcher), else threads.
// algo: ring = trainbench's reference ring (CPU backend), mpi = the MPI
// library's MPI_Allreduce (needs transport=mpi), nccl = NCCL's ncclAllReduce
// (--backend cuda, transport=threads: one process drives every GPU).
// Without `inplace=` a problem string sweeps inplace=0|1 (out-of-place, then
// in-place, as nccl-tests reports both). Canonical form:
//   allreduce:bytes=..,dtype=..,op=..,ranks=..,inplace=..,algo=..,transport=..
// with bytes printed with the largest exact K/M/G suffix.
//
// Tensors: transport=threads (all ranks in this process): inputs send.r0 ..
// send.r<N-1>, outputs recv.r0 .. recv.r<N-1>; transport=mpi: input send and
// output recv of this process's rank. Each holds count = bytes / dtype size
// elements. In place, recv is the send buffer after the run.
//
// Inputs are exact: rank r's element i is k/8 with k a seeded integer in
// [-K, -1] u [1, K], K = min(16, 2^p / ranks) (p: significand bits of the
// dtype), so every partial sum in any order is exactly representable. The
// check is exact: `wrong` counts elements that differ from the reduction.
//
// Work: flop = (ranks - 1) * count reductions over the whole group; min_bytes
// = bytes (the numerator of algbw); bus factor 2 (ranks - 1) / ranks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "kernels/allreduce/reduce_op.h"
#include "kernels/problem.h"
#include "kernels/problem_string.h"

namespace tb {

enum class AllreduceAlgo { kRing, kMpi, kNccl };
enum class AllreduceTransport { kThreads, kMpi };

std::string_view allreduce_algo_name(AllreduceAlgo algo);              // "ring", "mpi", "nccl"
std::string_view allreduce_transport_name(AllreduceTransport transport);  // "threads", "mpi"

class AllreduceProblem final : public Problem {
 public:
  static constexpr int kMaxRanks = 256;
  static constexpr std::int64_t kMaxBytes = std::int64_t{1} << 40;  // 1 TiB per rank
  // MPI_Allreduce takes an int element count.
  static constexpr std::int64_t kMaxMpiCount = 2147483647;

  AllreduceProblem(std::int64_t bytes, DType dtype, ReduceOp op, int ranks, bool in_place, AllreduceAlgo algo,
                   AllreduceTransport transport);
  static Expected<ProblemPtr> parse(const ProblemSpec& spec);

  std::int64_t bytes() const { return bytes_; }
  std::int64_t count() const { return count_; }
  int ranks() const { return ranks_; }
  ReduceOp op() const { return op_; }
  bool in_place() const { return in_place_; }
  AllreduceAlgo algo() const { return algo_; }
  AllreduceTransport transport() const { return transport_; }
  // Ranks whose buffers live in this process: all of them for threads, one for MPI.
  int local_ranks() const { return transport_ == AllreduceTransport::kThreads ? ranks_ : 1; }

  std::string_view kernel() const override { return "allreduce"; }
  std::string to_string() const override;
  DType dtype() const override { return dtype_; }
  double flop() const override;
  double min_bytes() const override { return static_cast<double>(bytes_); }
  std::vector<TensorSpec> input_specs() const override;
  std::vector<TensorSpec> output_specs() const override;
  using Problem::make_inputs;
  std::vector<HostTensor> make_inputs(std::uint64_t seed, int process_rank) const override;
  std::optional<CollectiveInfo> collective() const override;
  // Metric "allreduce_exact": every element of every output against the exact reduction.
  Verification verify(const std::vector<HostTensor>& inputs, const std::vector<HostTensor>& outputs,
                      std::uint64_t seed) const override;

  // Rank `rank`'s input element `i` (exact in the dtype), and the exact reduction over all ranks.
  double input_value(std::uint64_t seed, int rank, std::int64_t i) const;
  double expected_value(std::uint64_t seed, std::int64_t i) const;

 private:
  std::int64_t bytes_, count_;
  DType dtype_;
  ReduceOp op_;
  int ranks_;
  bool in_place_;
  AllreduceAlgo algo_;
  AllreduceTransport transport_;
  int magnitude_;  // K above
};

}  // namespace tb
