// All-reduce on the CPU backend: the reference ring (kernels/allreduce/
// ring_allreduce.h) over threads of this process or over MPI processes, and
// the MPI library's own MPI_Allreduce for comparison (docs/allreduce.md).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "backends/backend.h"
#include "kernels/allreduce/allreduce_problem.h"

namespace tb {

class MpiWorld;

// Chunk a ring exchange moves at once: big enough to amortize a hand-off,
// small enough that the received chunk is still in cache when it is reduced.
inline constexpr std::size_t kThreadsChunkBytes = std::size_t{256} << 10;
inline constexpr std::size_t kMpiChunkBytes = std::size_t{1} << 20;

// `mpi` is null unless the process was started by an MPI launcher.
Support cpu_allreduce_support(const AllreduceProblem& p, const MpiWorld* mpi);
// Bytes the workloads allocate besides the host inputs and read-back outputs.
std::int64_t cpu_allreduce_bytes(const AllreduceProblem& p);

// transport=threads: one thread per rank; `timeout_s` bounds every wait for a neighbour.
Expected<std::unique_ptr<Workload>> make_threads_allreduce(const AllreduceProblem& p,
                                                           const std::vector<HostTensor>& inputs, double timeout_s);
// transport=mpi: this process's rank; waits are bounded by the world's time-out.
Expected<std::unique_ptr<Workload>> make_mpi_allreduce(const AllreduceProblem& p, const std::vector<HostTensor>& inputs,
                                                       MpiWorld& world);

}  // namespace tb
