// All-reduce with NCCL on GPUs, in two modes (docs/cuda.md, "All-reduce"):
//   - one process, the node's GPUs (transport=threads): one communicator per
//     device (ncclCommInitAll), rank r on device r, the collective launched
//     for all devices in one ncclGroupStart/End;
//   - one process per GPU (transport=mpi, started by mpirun, on one node or
//     several): each MPI rank drives the GPU local rank % visible devices;
//     rank 0's ncclGetUniqueId (128 B) is broadcast over MPI
//     (ProcessGroup::broadcast) and every rank joins with ncclCommInitRank.
//     Multi-node runs use the same code with mpirun -H host1:8,host2:8; built
//     and documented, never run on a GPU.
// libnccl.so.2 is loaded at run time (dlopen), so a machine without NCCL
// reports the backend's all-reduce as unsupported with the places searched.
// The nccl-tests figures (algbw, busbw) come from the runner as for every
// all-reduce (docs/allreduce.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "common/process_group.h"

namespace tb::cuda {

// Where one MPI rank runs, as the backend finds it at start-up.
struct NcclRankPlacement {
  int local_rank = 0;       // this rank among the ranks on its node (MPI_COMM_TYPE_SHARED)
  int local_ranks = 1;      // ranks on this node
  int visible_devices = 0;  // CUDA devices this process sees (CUDA_VISIBLE_DEVICES)
  std::string host;         // the node's name, for messages
};

// Pure. Whether this rank can drive a GPU of its own through NCCL: at least
// one device visible, no more ranks on the node than visible devices (NCCL
// refuses two ranks of one communicator on one GPU: "cuda: 4 local ranks but
// 2 GPUs visible on node7 ..."), and NCCL loaded (`nccl_error` empty; else
// why it did not load).
Support nccl_rank_support(const NcclRankPlacement& placement, const std::string& nccl_error);

// The device this rank drives: local_rank % visible_devices (0 when none is visible).
int nccl_rank_device(const NcclRankPlacement& placement);

// Every rank's `mine` agreed across `group` (collectives: max, then
// broadcast from the lowest unsupported rank): supported on every rank, or
// unsupported on every rank with that rank's reason ("rank 3: ..."). Every
// rank of the group calls it at the same point.
Support agree_across_ranks(ProcessGroup& group, const Support& mine);

// The MPI mode, as the backend decided it at start-up; absent outside mpirun.
struct NcclMpiMode {
  ProcessGroup* group = nullptr;  // MPI_COMM_WORLD; not owned, outlives every workload
  int device = 0;                 // nccl_rank_device()
  Support ready;                  // agree_across_ranks(nccl_rank_support()) at start-up
};

// Supported when the problem's algo is nccl, its dtype/op map to NCCL's, and:
// transport=threads: `mpi` is null, ranks <= visible devices, NCCL loads;
// transport=mpi: `mpi` is set, ranks = the group's size and mpi->ready.
// The reason names what is missing.
Support nccl_allreduce_support(const Problem& problem, int visible_devices, const NcclMpiMode* mpi = nullptr);

// Device bytes prepare() allocates for `problem` on each device (B).
std::int64_t nccl_allreduce_device_bytes(const Problem& problem);

// Allocates the buffers on this process's devices, uploads the inputs (as the
// problem's make_inputs gives them: every rank's, rank-major, in one process;
// this rank's alone under MPI), creates the communicators. read_outputs()
// returns this process's outputs. Under MPI every rank must call it for the
// same problem: it agrees with the others before NCCL's init (which waits
// for every rank without a time-out), so that one rank's failure is every
// rank's error instead of a hang.
Expected<std::unique_ptr<Workload>> make_nccl_allreduce_workload(const ProblemPtr& problem,
                                                                 const std::vector<HostTensor>& inputs,
                                                                 const NcclMpiMode* mpi = nullptr);

// "NCCL 2.28.9" when it loads, else the reason it did not.
std::string nccl_version_or_reason();

}  // namespace tb::cuda
