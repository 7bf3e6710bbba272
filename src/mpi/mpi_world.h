// MPI_COMM_WORLD as a ProcessGroup, with RAII for MPI_Init/MPI_Finalize and a
// time-out on every wait, so that a rank that died or hangs ends the run with
// an error naming it instead of a hang. Created only when the process was
// started by an MPI launcher (common/mpi_launch.h).
#pragma once

#include <mpi.h>

#include <functional>
#include <memory>
#include <string>

#include "common/error.h"
#include "common/process_group.h"

namespace tb {

class MpiWorld final : public ProcessGroup {
 public:
  // MPI_Init_thread (MPI calls come from one thread at a time). `timeout_s`:
  // how long any wait may see no progress before it fails.
  static Expected<std::unique_ptr<MpiWorld>> init(double timeout_s);
  ~MpiWorld() override;  // MPI_Finalize, unless the group is broken
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string description() const override;
  Status barrier() override;
  Expected<double> max(double value) override;
  Expected<std::int64_t> sum(std::int64_t value) override;
  Expected<bool> all(bool value) override;
  // MPI_Ibcast of MPI_BYTEs, polled like the other collectives (time-out,
  // then broken). Longer than INT_MAX bytes or a root outside the world: bad input.
  Status broadcast(std::span<std::byte> bytes, int root) override;
  bool broken() const override { return broken_; }
  [[noreturn]] void abort(int code) override;

  MPI_Comm comm() const { return MPI_COMM_WORLD; }
  // This process among the ranks on its node (MPI_Comm_split_type with
  // MPI_COMM_TYPE_SHARED at init): 0 <= local_rank() < local_ranks().
  int local_rank() const { return local_rank_; }
  int local_ranks() const { return local_ranks_; }
  // MPI_Get_processor_name: the node's host name, for messages.
  std::string node_name() const;
  std::string library_version() const;  // "Open MPI v4.1.4, ..." (first line)

  // Polls `count` requests until all completed, or fails after the time-out
  // (and marks the world broken). `what` names the operation and its peer for
  // the message: "all-reduce receive from rank 1".
  Status wait_all(MPI_Request* requests, int count, const std::string& what);
  // Runs a blocking MPI call that cannot be polled (MPI_Allreduce) under a
  // watchdog: if it has not returned within the time-out, the process prints
  // why and exits with status 1, and mpirun ends the job. `what` names the
  // call, e.g. "MPI_Allreduce". Returns check(the call's result, what).
  Status blocking_call(const char* what, const std::function<int()>& call);
  // Maps an MPI error code to an Error naming `what`.
  Status check(int mpi_error, const std::string& what);

 private:
  MpiWorld(int rank, int size, int local_rank, int local_ranks, double timeout_s)
      : rank_(rank), size_(size), local_rank_(local_rank), local_ranks_(local_ranks), timeout_s_(timeout_s) {}
  int rank_, size_;
  int local_rank_, local_ranks_;
  double timeout_s_;
  bool broken_ = false;
};

}  // namespace tb
