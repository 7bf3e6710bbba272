// The one measurement pipeline every backend goes through:
//   supported? -> seeded inputs -> prepare -> poison, run once, verify
//   -> Google Benchmark repetitions with device timers -> statistics.
// A problem that fails verification is never timed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "common/process_group.h"
#include "kernels/problem.h"
#include "record/run_record.h"

namespace tb {

struct RunOptions {
  int repetitions = 5;          // timed repetitions (samples) per problem
  double min_time_s = 0.5;      // each repetition runs until at least this much device time (s)
  double warmup_time_s = 0.1;   // untimed runs before the first repetition (s), after the verification run
  std::uint64_t seed = 42;      // input fill and verification sampling seed
  int threads = 0;              // host threads (0 = all logical CPUs); the reproducer records the count used
  double comm_timeout_s = 60.0;  // longest a collective waits for another rank before failing (s)
};

// Bad input before anything runs: each option in range. The message names the option.
Status validate(const RunOptions& options);

// Checks that every problem's buffers fit in the memory available before anything
// is allocated; the error names the problem and the bytes needed.
Status check_memory(const Backend& backend, const DeviceInfo& device, const std::vector<ProblemPtr>& problems);

// Bad input when the plan does not fit how the processes were started: under
// mpirun with N processes only all-reduce with transport=mpi and ranks=N runs;
// transport=mpi needs mpirun. The message names the problem and the fix.
Status check_process_layout(const std::vector<ProblemPtr>& problems, const ProcessGroup& group);

class Runner {
 public:
  // Under MPI every rank runs the same problems in the same order; `group`
  // keeps their decisions identical (a failure anywhere fails the problem everywhere).
  Runner(Backend& backend, const DeviceInfo& device, RunOptions options, ProcessGroup& group);
  // A single process.
  Runner(Backend& backend, const DeviceInfo& device, RunOptions options)
      : Runner(backend, device, options, single_process_) {}
  // Runs one problem end to end. Never throws; failures are in the result's status.
  ProblemResult run(const ProblemPtr& problem);

 private:
  std::string reproducer(const Problem& problem) const;
  // A problem the backend measures with a vendor tool (Backend::measure_externally).
  ProblemResult run_external(const Problem& problem, ProblemResult r);
  // Status passed, the time summary and the throughput figures from r.samples_s.
  void derive_throughput(ProblemResult& r) const;
  // False (and `r` marked as an error) unless every rank's `local` is ok.
  bool agree(const Status& local, ProblemResult& r);
  Backend& backend_;
  DeviceInfo device_;  // a copy: callers may pass a temporary
  RunOptions options_;
  SingleProcess single_process_;  // the group of the single-process constructor
  ProcessGroup& group_;
};

}  // namespace tb
