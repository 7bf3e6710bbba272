// transport=mpi: this process is one rank. algo=ring runs the reference ring
// over MPI point-to-point; algo=mpi calls the library's MPI_Allreduce. The
// timer (backends/slowest_rank_timer.h) starts after a barrier and reports the
// slowest rank's time, so every rank sees the same time and Google Benchmark
// makes the same decisions on all.
#include "backends/cpu/allreduce/cpu_allreduce.h"
#include "backends/cpu/allreduce/mpi_transport.h"
#include "backends/cpu/allreduce/rank_buffers.h"
#include "backends/host_timer.h"
#include "backends/slowest_rank_timer.h"
#include "mpi/mpi_world.h"

namespace tb {
namespace {

// MPI's user-defined reduction for bf16 and fp16 (MPI has no such types):
// inout[i] = in[i] op inout[i], combined in fp32 as reduce_elements does.
template <DType D, ReduceOp O>
void user_reduce(void* in, void* inout, int* length, MPI_Datatype* /*type*/) {
  reduce_elements(inout, in, inout, *length, D, O);
}

template <DType D>
MPI_User_function* user_function(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return &user_reduce<D, ReduceOp::kSum>;
    case ReduceOp::kMax: return &user_reduce<D, ReduceOp::kMax>;
    case ReduceOp::kMin: return &user_reduce<D, ReduceOp::kMin>;
  }
  return nullptr;
}

// The MPI datatype and op for a problem; owns (and frees) the user-defined ones.
class MpiReduction {
 public:
  MpiReduction(DType dtype, ReduceOp op) {
    if (dtype == DType::kFp32) {
      type_ = MPI_FLOAT;
      op_ = op == ReduceOp::kSum ? MPI_SUM : op == ReduceOp::kMax ? MPI_MAX : MPI_MIN;
      return;
    }
    MPI_Type_contiguous(2, MPI_BYTE, &type_);
    MPI_Type_commit(&type_);
    MPI_Op_create(dtype == DType::kBf16 ? user_function<DType::kBf16>(op) : user_function<DType::kFp16>(op),
                  /*commute=*/1, &op_);
    owned_ = true;
  }
  ~MpiReduction() {
    if (!owned_) return;
    MPI_Op_free(&op_);
    MPI_Type_free(&type_);
  }
  MpiReduction(const MpiReduction&) = delete;
  MpiReduction& operator=(const MpiReduction&) = delete;
  MPI_Datatype type() const { return type_; }
  MPI_Op op() const { return op_; }
  bool user_defined() const { return owned_; }

 private:
  MPI_Datatype type_ = MPI_DATATYPE_NULL;
  MPI_Op op_ = MPI_OP_NULL;
  bool owned_ = false;
};

class MpiAllreduce final : public Workload {
 public:
  MpiAllreduce(const AllreduceProblem& p, const HostTensor& input, MpiWorld& world)
      : problem_(p),
        world_(world),
        buffers_(input, p.output_specs()[0], p.in_place(), kMpiChunkBytes),
        transport_(world),
        reduction_(p.dtype(), p.op()) {}

  Status run() override {
    if (problem_.algo() == AllreduceAlgo::kRing) {
      return ring_allreduce(transport_, buffers_.ring(), problem_.count(), problem_.dtype(), problem_.op(),
                            kMpiChunkBytes);
    }
    // Blocking, as applications call it: the library's tuned algorithms, which
    // the non-blocking MPI_Iallreduce would not use. It cannot be polled, so a
    // watchdog ends the process if a peer hangs inside it (--comm-timeout).
    const void* send = problem_.in_place() ? MPI_IN_PLACE : buffers_.input();
    return world_.blocking_call("MPI_Allreduce", [&] {
      return MPI_Allreduce(send, buffers_.output(), static_cast<int>(problem_.count()), reduction_.type(),
                           reduction_.op(), world_.comm());
    });
  }

  Status synchronize() override { return {}; }
  Status poison_outputs() override {
    buffers_.poison();
    return {};
  }
  Expected<std::vector<HostTensor>> read_outputs() override { return std::vector<HostTensor>{buffers_.read()}; }
  std::unique_ptr<DeviceTimer> make_timer() override {
    return std::make_unique<SlowestRankTimer>(world_, std::make_unique<HostTimer>());
  }

  std::string implementation() const override {
    if (problem_.algo() == AllreduceAlgo::kRing) {
      return "trainbench ring over MPI point-to-point (" + world_.library_version() + "), " +
             std::to_string(kMpiChunkBytes >> 10) + " KiB chunks, " + std::to_string(RingTransport::kSlots) +
             " in flight";
    }
    return "MPI_Allreduce (" + world_.library_version() + ")" +
           (reduction_.user_defined() ? ", user-defined op with fp32 accumulation" : "");
  }

 private:
  const AllreduceProblem problem_;
  MpiWorld& world_;
  RankBuffers buffers_;
  MpiTransport transport_;
  MpiReduction reduction_;
};

}  // namespace

Expected<std::unique_ptr<Workload>> make_mpi_allreduce(const AllreduceProblem& p, const std::vector<HostTensor>& inputs,
                                                       MpiWorld& world) {
  if (inputs.size() != 1) {
    return run_failure("MPI all-reduce: expected this rank's input only, got " + std::to_string(inputs.size()));
  }
  return std::unique_ptr<Workload>(std::make_unique<MpiAllreduce>(p, inputs[0], world));
}

}  // namespace tb
