#include "backends/cpu/allreduce/cpu_allreduce.h"

#include "backends/cpu/allreduce/rank_buffers.h"
#include "mpi/mpi_world.h"

namespace tb {

Support cpu_allreduce_support(const AllreduceProblem& p, const MpiWorld* mpi) {
  // ncclAllReduce needs GPUs: the CUDA backend's (backends/cuda/nccl_allreduce.h).
  if (p.algo() == AllreduceAlgo::kNccl) return {false, "cpu: algo=nccl runs on --backend cuda"};
  if (p.transport() == AllreduceTransport::kThreads) return {true, {}};
  if (mpi == nullptr) {
    return {false, "cpu: transport=mpi needs one process per rank started by an MPI launcher: mpirun -np " +
                       std::to_string(p.ranks()) + " trainbench run ..."};
  }
  if (mpi->size() != p.ranks()) {
    return {false, "cpu: ranks=" + std::to_string(p.ranks()) + " but mpirun started " + std::to_string(mpi->size()) +
                       " processes"};
  }
  return {true, {}};
}

std::int64_t cpu_allreduce_bytes(const AllreduceProblem& p) {
  const std::size_t chunk = p.transport() == AllreduceTransport::kThreads ? kThreadsChunkBytes : kMpiChunkBytes;
  // Per local rank: the workload's copy of the send buffer, and the receive
  // buffer (out of place) or the pristine input (in place), plus scratch.
  return p.local_ranks() * (p.bytes() + RankBuffers::extra_bytes(p.bytes(), p.in_place(), chunk) +
                            (p.in_place() ? 0 : p.bytes()));
}

}  // namespace tb
