// One `trainbench run` from request to record, on every rank alike: the
// request checked, the backend created (or chosen by --backend auto), the plan
// built (suites, sweeps, or a model's step), memory and readiness agreed by
// every rank before anything is allocated, then each problem through the
// Runner, and for run --model the step composed and compared. The session
// prints nothing and writes nothing itself: a RunObserver (the CLI) writes the
// result file after every problem, draws progress, and records the history;
// the CLI prints the outcome and chooses the exit status (docs/cli.md).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "backends/backend_registry.h"
#include "common/process_group.h"
#include "cost/comparison.h"
#include "record/run_record.h"
#include "runner/run_request.h"

namespace tb {

class MpiWorld;  // src/mpi/mpi_world.h

// What the CLI does while a session runs. Every call comes from the session's
// thread; `leader` (rank 0) is the process that writes and reports.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // On the leader, after the plan and the memory check and before the ranks
  // agree to start: checks that can refuse the run (an unwritable --out, a
  // history database that cannot be opened). An error refuses the run.
  virtual Status check_ready() = 0;
  // On every rank, once the ranks agreed to start: the record's context is
  // set, and `total` problems are about to run.
  virtual void started(const RunRecord& record, const AutoChoice& choice, std::size_t total) = 0;
  // On every rank, before problem `index` (0-based) of `total` runs.
  virtual void starting(std::size_t index, std::size_t total, const std::string& problem) = 0;
  // On every rank, after each problem with every result so far (the last is
  // the new one), and on the leader once more after a model run's step was
  // composed. An error (the result file could not be written) stops the run.
  virtual Status completed(const RunRecord& record) = 0;
};

// A run that ended before its report.
struct RunStop {
  std::optional<Error> error;  // why; none when another rank failed and printed why (exit status 2)
  bool print = true;           // false: every rank found the same error and rank 0 prints it
  bool on_rank = false;        // print it as "rank N: ...": the outcome differs between ranks
  bool abort_group = false;    // the other ranks wait for this one: the CLI must abort the group
};

struct RunOutcome {
  std::optional<RunStop> stopped;  // set when the run ended before its report
  RunRecord record;
  AutoChoice choice;                      // how --backend auto chose (empty otherwise)
  std::optional<Comparison> comparison;   // run --model: the comparison, when the step composed
  std::optional<Error> model_error;       // run --model: why the step was not composed
  std::vector<std::string> model_warnings;  // run --model: stale prices of the compared instances
  std::size_t planned = 0;                // problems in the plan
  bool any_failed = false;                // a problem failed verification or could not run
  bool broken = false;                    // a rank died or hangs: the run stopped after record.results
};

// Runs `request` on this process's rank of `group` (`mpi`: MPI_COMM_WORLD
// when mpirun started the process, else null; not owned).
RunOutcome run_session(const RunRequest& request, ProcessGroup& group, MpiWorld* mpi, RunObserver& observer);

}  // namespace tb
