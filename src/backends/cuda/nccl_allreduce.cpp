// NCCL all-reduce over this process's GPUs: every GPU of the node in one
// process (rank r is device r), or one GPU per MPI rank (nccl_allreduce.h).
//
// Buffers per GPU: the send buffer and, out of place, the receive buffer; in
// place, a pristine copy of the input instead, which poison_outputs() copies
// back over the send buffer (the output), so that a run that writes nothing
// fails verification as it does on the CPU backend.
//
// Timing: one CUDA event pair per GPU on that GPU's stream; an iteration's
// time is the maximum over this process's GPUs and, under MPI, over the ranks
// (SlowestRankTimer: a barrier before start, ProcessGroup::max after), the
// project's rule for collectives (docs/allreduce.md: "each iteration's time
// is the slowest rank's"). A rank's kernel cannot finish before every peer
// has contributed, so each rank's time already includes waiting for the
// others. nccl-tests times on the host around the group with stream syncs
// instead; events measure device time and leave out the host's synchronization.
#include "backends/cuda/nccl_allreduce.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <utility>

#include "backends/cuda/cuda_handles.h"
#include "backends/cuda/nccl_library.h"
#include "backends/slowest_rank_timer.h"
#include "kernels/allreduce/allreduce_problem.h"

namespace tb::cuda {
namespace {

ncclDataType_t nccl_dtype(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return ncclFloat32;
    case DType::kBf16: return ncclBfloat16;
    case DType::kFp16: return ncclFloat16;
    case DType::kFp8E4m3: break;  // unreachable: all-reduce problems refuse fp8 at parse time
  }
  return ncclFloat32;
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return ncclSum;
    case ReduceOp::kMax: return ncclMax;
    case ReduceOp::kMin: return ncclMin;
  }
  return ncclSum;
}

int visible_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: clear the error so later calls start clean
    return 0;
  }
  return count;
}

Status set_device(int device) { return check(cudaSetDevice(device), "cudaSetDevice"); }

// A DeviceTimer per GPU of this process, each on its device's stream; the
// elapsed time is the slowest GPU's.
class MaxOverRanksTimer final : public DeviceTimer {
 public:
  MaxOverRanksTimer(std::vector<int> devices, std::vector<std::unique_ptr<DeviceTimer>> timers, Status error)
      : devices_(std::move(devices)), timers_(std::move(timers)), error_(std::move(error)) {}

  Status start() override { return each([](DeviceTimer& t) { return t.start(); }); }
  Status stop() override { return each([](DeviceTimer& t) { return t.stop(); }); }
  Expected<double> elapsed_seconds() override {
    TB_RETURN_IF_ERROR(error_);
    double slowest = 0.0;
    for (std::size_t r = 0; r < timers_.size(); ++r) {
      TB_RETURN_IF_ERROR(set_device(devices_[r]));
      TB_ASSIGN_OR_RETURN(const double seconds, timers_[r]->elapsed_seconds());
      slowest = std::max(slowest, seconds);
    }
    return slowest;
  }

 private:
  template <typename F>
  Status each(F f) {
    TB_RETURN_IF_ERROR(error_);
    for (std::size_t r = 0; r < timers_.size(); ++r) {
      TB_RETURN_IF_ERROR(set_device(devices_[r]));
      TB_RETURN_IF_ERROR(f(*timers_[r]));
    }
    return {};
  }

  std::vector<int> devices_;  // timers_[r] runs on devices_[r]
  std::vector<std::unique_ptr<DeviceTimer>> timers_;
  Status error_;  // why the timers could not be made; every call reports it
};

// One GPU of this process.
struct RankState {
  int device = 0;
  Stream stream;
  DeviceBuffer send;
  DeviceBuffer other;  // out of place: the receive buffer; in place: the pristine input
};

class NcclAllreduce final : public Workload {
 public:
  // `group`: the MPI ranks (one GPU each), or null for one process driving every GPU.
  NcclAllreduce(const AllreduceProblem& p, std::vector<RankState> ranks, nccl::Communicators comms, ProcessGroup* group)
      : problem_(p), ranks_(std::move(ranks)), comms_(std::move(comms)), group_(group) {}

  ~NcclAllreduce() override {
    // Let enqueued collectives finish before the communicators and buffers go.
    for (RankState& rank : ranks_) {
      if (cudaSetDevice(rank.device) == cudaSuccess) cudaStreamSynchronize(rank.stream.get());
    }
  }

  Status run() override {
    const nccl::NcclApi& api = comms_.api();
    TB_RETURN_IF_ERROR(nccl::check(api, api.ncclGroupStart(), "ncclGroupStart"));
    Status first;
    for (std::size_t r = 0; r < ranks_.size() && first.ok(); ++r) {
      RankState& rank = ranks_[r];
      void* recv = problem_.in_place() ? rank.send.data() : rank.other.data();
      first = nccl::check(api,
                          api.ncclAllReduce(rank.send.data(), recv, static_cast<std::size_t>(problem_.count()),
                                            nccl_dtype(problem_.dtype()), nccl_op(problem_.op()),
                                            comms_[static_cast<int>(r)], rank.stream.get()),
                          "ncclAllReduce (rank " + std::to_string(nccl_rank(r)) + ")");
    }
    // The group is always closed, also after a failed enqueue.
    const Status end = nccl::check(api, api.ncclGroupEnd(), "ncclGroupEnd");
    TB_RETURN_IF_ERROR(first);
    return end;
  }

  Status synchronize() override {
    for (RankState& rank : ranks_) {
      TB_RETURN_IF_ERROR(set_device(rank.device));
      TB_RETURN_IF_ERROR(rank.stream.synchronize());
    }
    return comms_.async_error();
  }

  Status poison_outputs() override {
    for (RankState& rank : ranks_) {
      TB_RETURN_IF_ERROR(set_device(rank.device));
      if (problem_.in_place()) {
        TB_RETURN_IF_ERROR(check(cudaMemcpyAsync(rank.send.data(), rank.other.data(), rank.send.bytes(),
                                                 cudaMemcpyDeviceToDevice, rank.stream.get()),
                                 "cudaMemcpyAsync (restore in-place input)"));
      } else {
        TB_RETURN_IF_ERROR(poison(rank.other, rank.stream.get()));
      }
    }
    return {};
  }

  // This process's outputs: every rank's in one process, this rank's under MPI (output_specs() says which).
  Expected<std::vector<HostTensor>> read_outputs() override {
    const std::vector<TensorSpec> specs = problem_.output_specs();
    std::vector<HostTensor> out;
    for (std::size_t r = 0; r < ranks_.size(); ++r) {
      const RankState& rank = ranks_[r];
      TB_RETURN_IF_ERROR(set_device(rank.device));
      HostTensor& host = out.emplace_back(specs[r]);
      TB_RETURN_IF_ERROR(download(problem_.in_place() ? rank.send : rank.other, host, rank.stream.get()));
    }
    return out;
  }

  std::unique_ptr<DeviceTimer> make_timer() override {
    std::unique_ptr<DeviceTimer> gpus = make_gpus_timer();
    if (group_ == nullptr) return gpus;
    return std::make_unique<SlowestRankTimer>(*group_, std::move(gpus));
  }

  std::string implementation() const override {
    const std::string nccl = "NCCL " + comms_.library().version() + " ncclAllReduce, ";
    if (group_ != nullptr) {
      return nccl + "MPI rank " + std::to_string(group_->rank()) + " of " + std::to_string(group_->size()) +
             " on GPU " + std::to_string(ranks_.front().device) +
             " (ncclCommInitRank, id broadcast over MPI), time = slowest rank's CUDA events";
    }
    const int n = static_cast<int>(ranks_.size());
    return nccl + "one process, " + std::to_string(n) + " GPU" + (n == 1 ? "" : "s") +
           " (ncclCommInitAll, one group per iteration), time = slowest GPU's CUDA events";
  }

 private:
  // The NCCL rank of this process's r-th GPU, for messages.
  int nccl_rank(std::size_t r) const { return group_ != nullptr ? group_->rank() : static_cast<int>(r); }

  std::unique_ptr<DeviceTimer> make_gpus_timer() {
    std::vector<int> devices;
    std::vector<std::unique_ptr<DeviceTimer>> timers;
    for (const RankState& rank : ranks_) {
      devices.push_back(rank.device);
      if (Status s = set_device(rank.device); !s) {
        return std::make_unique<MaxOverRanksTimer>(std::move(devices), std::move(timers), s);
      }
      Expected<std::unique_ptr<DeviceTimer>> t = make_event_timer(rank.stream.get());
      if (!t) return std::make_unique<MaxOverRanksTimer>(std::move(devices), std::move(timers), Status(t.error()));
      timers.push_back(std::move(t).value());
    }
    return std::make_unique<MaxOverRanksTimer>(std::move(devices), std::move(timers), Status());
  }

  const AllreduceProblem problem_;  // a copy: the workload may outlive the caller's pointer
  std::vector<RankState> ranks_;    // streams and buffers, freed after the communicators
  nccl::Communicators comms_;       // after ranks_: destroyed first
  ProcessGroup* group_;             // not owned; null in one process
};

// Streams and buffers on `devices`, input i uploaded to devices[i].
Expected<std::vector<RankState>> allocate_ranks(const AllreduceProblem& p, const std::vector<HostTensor>& inputs,
                                                const std::vector<int>& devices) {
  if (inputs.size() != devices.size()) {
    return run_failure("NCCL all-reduce: expected " + std::to_string(devices.size()) + " input" +
                       (devices.size() == 1 ? "" : "s") + " (one per GPU of this process), got " +
                       std::to_string(inputs.size()));
  }
  const auto bytes = static_cast<std::size_t>(p.bytes());
  std::vector<RankState> ranks;
  for (std::size_t r = 0; r < devices.size(); ++r) {
    const HostTensor& input = inputs[r];
    if (input.data.size() != bytes) {
      return run_failure("NCCL all-reduce: input " + std::to_string(r) + " holds " + std::to_string(input.data.size()) +
                         " B, expected " + std::to_string(bytes));
    }
    TB_RETURN_IF_ERROR(set_device(devices[r]));
    TB_ASSIGN_OR_RETURN(Stream stream, Stream::create());
    TB_ASSIGN_OR_RETURN(DeviceBuffer send, DeviceBuffer::allocate(bytes));
    TB_ASSIGN_OR_RETURN(DeviceBuffer other, DeviceBuffer::allocate(bytes));
    TB_RETURN_IF_ERROR(upload(input, send, stream.get()));
    if (p.in_place()) TB_RETURN_IF_ERROR(upload(input, other, stream.get()));
    ranks.push_back(RankState{devices[r], std::move(stream), std::move(send), std::move(other)});
  }
  return ranks;
}

// Under MPI: this rank's communicator. NCCL's init waits for every rank with
// no time-out, so the ranks first agree that each one prepared its GPU and
// that rank 0 made the id; a failure anywhere is then an error on every rank.
Expected<nccl::Communicators> join_ranks(std::shared_ptr<nccl::NcclLibrary> library, ProcessGroup& group, int device,
                                         const Status& prepared) {
  TB_ASSIGN_OR_RETURN(const bool everyone_prepared, group.all(prepared.ok()));
  TB_RETURN_IF_ERROR(prepared);
  if (!everyone_prepared) {
    return run_failure("another rank could not prepare its GPU (its error is on its standard error)");
  }
  ncclUniqueId id{};
  Status made;
  if (group.rank() == 0) made = nccl::check(library->api(), library->api().ncclGetUniqueId(&id), "ncclGetUniqueId");
  TB_ASSIGN_OR_RETURN(const bool id_made, group.all(made.ok()));
  TB_RETURN_IF_ERROR(made);
  if (!id_made) {
    return run_failure("rank 0 could not make the NCCL id (ncclGetUniqueId; its error is on its standard error)");
  }
  TB_RETURN_IF_ERROR(group.broadcast(std::as_writable_bytes(std::span<ncclUniqueId>(&id, 1)), 0));
  TB_RETURN_IF_ERROR(set_device(device));
  return nccl::Communicators::init_rank(std::move(library), group.size(), group.rank(), id);
}

}  // namespace

Support nccl_rank_support(const NcclRankPlacement& placement, const std::string& nccl_error) {
  const std::string gpus = std::to_string(placement.visible_devices) + " GPU" +
                           (placement.visible_devices == 1 ? "" : "s") + " visible on " + placement.host;
  if (placement.visible_devices < 1) {
    return {false, "cuda: algo=nccl with transport=mpi needs a GPU per rank, but " + gpus + " (CUDA_VISIBLE_DEVICES)"};
  }
  if (placement.local_ranks > placement.visible_devices) {
    return {false, "cuda: " + std::to_string(placement.local_ranks) + " local ranks but " + gpus +
                       ": NCCL needs a GPU of its own for every rank; start at most " +
                       std::to_string(placement.visible_devices) + " ranks per node (mpirun -H " + placement.host +
                       ":" + std::to_string(placement.visible_devices) + ",...)"};
  }
  if (!nccl_error.empty()) return {false, "cuda: " + nccl_error};
  return {true, {}};
}

int nccl_rank_device(const NcclRankPlacement& placement) {
  return placement.visible_devices > 0 ? placement.local_rank % placement.visible_devices : 0;
}

Support agree_across_ranks(ProcessGroup& group, const Support& mine) {
  // The lowest unsupported rank, or size() when every rank is supported.
  const double mine_key = -static_cast<double>(mine.supported ? group.size() : group.rank());
  const Expected<double> worst = group.max(mine_key);
  if (!worst) return {false, "cuda: agreeing on NCCL support across ranks: " + worst.error().message};
  const int root = static_cast<int>(-*worst);
  if (root >= group.size()) return {true, {}};
  // The reason travels as a fixed-size text (cut to fit), the same on every rank.
  std::array<char, 1024> text{};
  if (group.rank() == root) std::strncpy(text.data(), mine.reason.c_str(), text.size() - 1);
  if (Status s = group.broadcast(std::as_writable_bytes(std::span<char>(text)), root); !s) {
    return {false, "cuda: agreeing on NCCL support across ranks: " + s.error().message};
  }
  text.back() = '\0';
  std::string reason = text.data();
  if (group.size() > 1) {
    const std::string prefix = "cuda: ";
    if (reason.rfind(prefix, 0) == 0) reason.erase(0, prefix.size());
    reason = prefix + "rank " + std::to_string(root) + ": " + reason;
  }
  return {false, std::move(reason)};
}

Support nccl_allreduce_support(const Problem& problem, int visible_devices, const NcclMpiMode* mpi) {
  const auto* p = dynamic_cast<const AllreduceProblem*>(&problem);
  if (p == nullptr) return {false, "cuda: " + problem.to_string() + " is not an all-reduce"};
  if (p->algo() != AllreduceAlgo::kNccl) {
    return {false, "cuda: all-reduce runs with algo=nccl; algo=" + std::string(allreduce_algo_name(p->algo())) +
                       " runs on --backend cpu"};
  }
  // dtype and op: fp32/bf16/fp16 and sum/max/min all have NCCL equivalents (nccl_dtype, nccl_op).
  if (p->transport() == AllreduceTransport::kMpi) {
    if (mpi == nullptr || mpi->group == nullptr) {
      return {false, "cuda: algo=nccl with transport=mpi runs one process per GPU started by an MPI launcher: "
                     "mpirun -np " + std::to_string(p->ranks()) +
                         " trainbench run ... (or transport=threads in one process)"};
    }
    if (mpi->group->size() != p->ranks()) {
      return {false, "cuda: ranks=" + std::to_string(p->ranks()) + " but mpirun started " +
                         std::to_string(mpi->group->size()) + " processes"};
    }
    return mpi->ready;
  }
  if (mpi != nullptr && mpi->group != nullptr && mpi->group->size() > 1) {
    return {false, "cuda: algo=nccl with transport=threads drives every GPU from one process: run it without mpirun, "
                   "or give transport=mpi"};
  }
  if (p->ranks() > visible_devices) {
    return {false, "cuda: ranks=" + std::to_string(p->ranks()) + " needs one GPU per rank, but " +
                       std::to_string(visible_devices) + " CUDA device" + (visible_devices == 1 ? " is" : "s are") +
                       " visible (CUDA_VISIBLE_DEVICES)" +
                       (visible_devices > 0 ? ": use ranks<=" + std::to_string(visible_devices) : std::string())};
  }
  const Expected<std::shared_ptr<nccl::NcclLibrary>>& library = nccl::default_library();
  if (!library) return {false, "cuda: " + library.error().message};
  return {true, {}};
}

std::int64_t nccl_allreduce_device_bytes(const Problem& problem) {
  const auto* p = dynamic_cast<const AllreduceProblem*>(&problem);
  if (p == nullptr) return 0;
  // Send buffer plus the receive buffer (out of place) or the pristine input (in place).
  return 2 * p->bytes();
}

Expected<std::unique_ptr<Workload>> make_nccl_allreduce_workload(const ProblemPtr& problem,
                                                                 const std::vector<HostTensor>& inputs,
                                                                 const NcclMpiMode* mpi) {
  const Support support = nccl_allreduce_support(*problem, visible_device_count(), mpi);
  if (!support.supported) return bad_input(support.reason);
  const auto& p = static_cast<const AllreduceProblem&>(*problem);
  const std::shared_ptr<nccl::NcclLibrary>& library = *nccl::default_library();
  if (p.transport() == AllreduceTransport::kMpi) {
    Expected<std::vector<RankState>> ranks = allocate_ranks(p, inputs, {mpi->device});
    TB_ASSIGN_OR_RETURN(nccl::Communicators comms,
                        join_ranks(library, *mpi->group, mpi->device, ranks ? Status() : Status(ranks.error())));
    return std::unique_ptr<Workload>(
        std::make_unique<NcclAllreduce>(p, std::move(ranks).value(), std::move(comms), mpi->group));
  }
  std::vector<int> devices(static_cast<std::size_t>(p.ranks()));
  for (int d = 0; d < p.ranks(); ++d) devices[static_cast<std::size_t>(d)] = d;
  TB_ASSIGN_OR_RETURN(std::vector<RankState> ranks, allocate_ranks(p, inputs, devices));
  TB_ASSIGN_OR_RETURN(nccl::Communicators comms, nccl::Communicators::init_all(library, p.ranks()));
  return std::unique_ptr<Workload>(std::make_unique<NcclAllreduce>(p, std::move(ranks), std::move(comms), nullptr));
}

std::string nccl_version_or_reason() {
  const Expected<std::shared_ptr<nccl::NcclLibrary>>& library = nccl::default_library();
  if (!library) return library.error().message;
  return "NCCL " + (*library)->version();
}

}  // namespace tb::cuda
