// NCCL all-reduce in one process over this node's GPUs: rank r is device r.
//
// Buffers per rank (on device r): the send buffer and, out of place, the
// receive buffer; in place, a pristine copy of the input instead, which
// poison_outputs() copies back over the send buffer (the output), so that a
// run that writes nothing fails verification as it does on the CPU backend.
//
// Timing: one CUDA event pair per rank on that rank's stream; an iteration's
// time is the maximum over ranks of that rank's event time, the project's
// rule for collectives (docs/allreduce.md: "each iteration's time is the
// slowest rank's"). A rank's kernel cannot finish before every peer has
// contributed, so each rank's time already includes waiting for the others.
// nccl-tests times on the host around the group with stream syncs instead;
// events measure device time and leave out the host's synchronization.
#include "backends/cuda/nccl_allreduce.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <utility>

#include "backends/cuda/cuda_handles.h"
#include "backends/cuda/nccl_library.h"
#include "kernels/allreduce/allreduce_problem.h"

namespace tb::cuda {
namespace {

ncclDataType_t nccl_dtype(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return ncclFloat32;
    case DType::kBf16: return ncclBfloat16;
    case DType::kFp16: return ncclFloat16;
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

// A DeviceTimer per rank, each on its device's stream; the elapsed time is the slowest rank's.
class MaxOverRanksTimer final : public DeviceTimer {
 public:
  MaxOverRanksTimer(std::vector<std::unique_ptr<DeviceTimer>> timers, Status error)
      : timers_(std::move(timers)), error_(std::move(error)) {}

  Status start() override { return each([](DeviceTimer& t) { return t.start(); }); }
  Status stop() override { return each([](DeviceTimer& t) { return t.stop(); }); }
  Expected<double> elapsed_seconds() override {
    TB_RETURN_IF_ERROR(error_);
    double slowest = 0.0;
    for (std::size_t r = 0; r < timers_.size(); ++r) {
      TB_RETURN_IF_ERROR(set_device(static_cast<int>(r)));
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
      TB_RETURN_IF_ERROR(set_device(static_cast<int>(r)));
      TB_RETURN_IF_ERROR(f(*timers_[r]));
    }
    return {};
  }

  std::vector<std::unique_ptr<DeviceTimer>> timers_;
  Status error_;  // why the timers could not be made; every call reports it
};

struct RankState {
  Stream stream;
  DeviceBuffer send;
  DeviceBuffer other;  // out of place: the receive buffer; in place: the pristine input
};

class NcclAllreduce final : public Workload {
 public:
  NcclAllreduce(const AllreduceProblem& p, std::vector<RankState> ranks, nccl::Communicators comms)
      : problem_(p), ranks_(std::move(ranks)), comms_(std::move(comms)) {}

  ~NcclAllreduce() override {
    // Let enqueued collectives finish before the communicators and buffers go.
    for (std::size_t r = 0; r < ranks_.size(); ++r) {
      if (cudaSetDevice(static_cast<int>(r)) == cudaSuccess) cudaStreamSynchronize(ranks_[r].stream.get());
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
                          "ncclAllReduce (rank " + std::to_string(r) + ")");
    }
    // The group is always closed, also after a failed enqueue.
    const Status end = nccl::check(api, api.ncclGroupEnd(), "ncclGroupEnd");
    TB_RETURN_IF_ERROR(first);
    return end;
  }

  Status synchronize() override {
    for (std::size_t r = 0; r < ranks_.size(); ++r) {
      TB_RETURN_IF_ERROR(set_device(static_cast<int>(r)));
      TB_RETURN_IF_ERROR(ranks_[r].stream.synchronize());
    }
    return comms_.async_error();
  }

  Status poison_outputs() override {
    for (std::size_t r = 0; r < ranks_.size(); ++r) {
      TB_RETURN_IF_ERROR(set_device(static_cast<int>(r)));
      RankState& rank = ranks_[r];
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

  Expected<std::vector<HostTensor>> read_outputs() override {
    const std::vector<TensorSpec> specs = problem_.output_specs();
    std::vector<HostTensor> out;
    for (std::size_t r = 0; r < ranks_.size(); ++r) {
      TB_RETURN_IF_ERROR(set_device(static_cast<int>(r)));
      HostTensor& host = out.emplace_back(specs[r]);
      const RankState& rank = ranks_[r];
      TB_RETURN_IF_ERROR(download(problem_.in_place() ? rank.send : rank.other, host, rank.stream.get()));
    }
    return out;
  }

  std::unique_ptr<DeviceTimer> make_timer() override {
    std::vector<std::unique_ptr<DeviceTimer>> timers;
    for (std::size_t r = 0; r < ranks_.size(); ++r) {
      if (Status s = set_device(static_cast<int>(r)); !s) return std::make_unique<MaxOverRanksTimer>(std::move(timers), s);
      Expected<std::unique_ptr<DeviceTimer>> t = make_event_timer(ranks_[r].stream.get());
      if (!t) return std::make_unique<MaxOverRanksTimer>(std::move(timers), Status(t.error()));
      timers.push_back(std::move(t).value());
    }
    return std::make_unique<MaxOverRanksTimer>(std::move(timers), Status());
  }

  std::string implementation() const override {
    const int n = static_cast<int>(ranks_.size());
    return "NCCL " + comms_.library().version() + " ncclAllReduce, one process, " + std::to_string(n) + " GPU" +
           (n == 1 ? "" : "s") + " (ncclCommInitAll, one group per iteration), time = slowest GPU's CUDA events";
  }

 private:
  const AllreduceProblem problem_;  // a copy: the workload may outlive the caller's pointer
  std::vector<RankState> ranks_;    // streams and buffers, freed after the communicators
  nccl::Communicators comms_;       // last: destroyed first
};

}  // namespace

Support nccl_allreduce_support(const Problem& problem, int visible_devices) {
  const auto* p = dynamic_cast<const AllreduceProblem*>(&problem);
  if (p == nullptr) return {false, "cuda: " + problem.to_string() + " is not an all-reduce"};
  if (p->algo() != AllreduceAlgo::kNccl) {
    return {false, "cuda: all-reduce runs with algo=nccl; algo=" + std::string(allreduce_algo_name(p->algo())) +
                       " runs on --backend cpu"};
  }
  if (p->transport() != AllreduceTransport::kThreads) {
    return {false, "cuda: algo=nccl runs in one process that drives every GPU (transport=threads); transport=mpi "
                   "(one process per GPU, NCCL id broadcast over MPI) is not built: run without mpirun, with "
                   "transport=threads"};
  }
  if (p->ranks() > visible_devices) {
    return {false, "cuda: ranks=" + std::to_string(p->ranks()) + " needs one GPU per rank, but " +
                       std::to_string(visible_devices) + " CUDA device" + (visible_devices == 1 ? " is" : "s are") +
                       " visible (CUDA_VISIBLE_DEVICES)" +
                       (visible_devices > 0 ? ": use ranks<=" + std::to_string(visible_devices) : std::string())};
  }
  const Expected<std::shared_ptr<nccl::NcclLibrary>>& library = nccl::default_library();
  if (!library) return {false, "cuda: " + library.error().message};
  // dtype and op: fp32/bf16/fp16 and sum/max/min all have NCCL equivalents (nccl_dtype, nccl_op).
  return {true, {}};
}

std::int64_t nccl_allreduce_device_bytes(const Problem& problem) {
  const auto* p = dynamic_cast<const AllreduceProblem*>(&problem);
  if (p == nullptr) return 0;
  // Send buffer plus the receive buffer (out of place) or the pristine input (in place).
  return 2 * p->bytes();
}

Expected<std::unique_ptr<Workload>> make_nccl_allreduce_workload(const ProblemPtr& problem,
                                                                 const std::vector<HostTensor>& inputs) {
  const auto* p = dynamic_cast<const AllreduceProblem*>(problem.get());
  const Support support = nccl_allreduce_support(*problem, visible_device_count());
  if (!support.supported) return bad_input(support.reason);
  if (inputs.size() != static_cast<std::size_t>(p->ranks())) {
    return run_failure("NCCL all-reduce: expected " + std::to_string(p->ranks()) + " inputs (one per rank), got " +
                       std::to_string(inputs.size()));
  }
  const auto bytes = static_cast<std::size_t>(p->bytes());
  std::vector<RankState> ranks;
  for (int r = 0; r < p->ranks(); ++r) {
    const HostTensor& input = inputs[static_cast<std::size_t>(r)];
    if (input.data.size() != bytes) {
      return run_failure("NCCL all-reduce: input " + std::to_string(r) + " holds " + std::to_string(input.data.size()) +
                         " B, expected " + std::to_string(bytes));
    }
    TB_RETURN_IF_ERROR(set_device(r));
    TB_ASSIGN_OR_RETURN(Stream stream, Stream::create());
    TB_ASSIGN_OR_RETURN(DeviceBuffer send, DeviceBuffer::allocate(bytes));
    TB_ASSIGN_OR_RETURN(DeviceBuffer other, DeviceBuffer::allocate(bytes));
    TB_RETURN_IF_ERROR(upload(input, send, stream.get()));
    if (p->in_place()) TB_RETURN_IF_ERROR(upload(input, other, stream.get()));
    ranks.push_back(RankState{std::move(stream), std::move(send), std::move(other)});
  }
  TB_ASSIGN_OR_RETURN(nccl::Communicators comms, nccl::Communicators::init_all(*nccl::default_library(), p->ranks()));
  return std::unique_ptr<Workload>(std::make_unique<NcclAllreduce>(*p, std::move(ranks), std::move(comms)));
}

std::string nccl_version_or_reason() {
  const Expected<std::shared_ptr<nccl::NcclLibrary>>& library = nccl::default_library();
  if (!library) return library.error().message;
  return "NCCL " + (*library)->version();
}

}  // namespace tb::cuda
