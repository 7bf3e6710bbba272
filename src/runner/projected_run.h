// trainbench run --backend projected --instance NAME: the time and throughput
// each problem would have on a catalog instance that is not at hand, from the
// roofline and alpha-beta ring models of docs/cost.md with the efficiency
// factors of data/efficiency.csv. Nothing runs and nothing is verified: every
// result carries provenance "projected", verification metric "none", and the
// table's status column says `projected`. Its figures come from the same
// derivation as measured ones (derive_figures, record/run_record.h).
#pragma once

#include <string>

#include "record/run_record.h"
#include "runner/run_request.h"

namespace tb {

struct ProjectedRun {
  RunRecord record;      // context (the instance as the device) and one result per problem
  std::string instance;  // the catalog instance projected onto
};

// Checks the request (no mpirun, no --model, no --min-busbw, exactly one
// --instance), plans the problems and projects each onto the instance; any
// failure is bad input naming the problem, before anything is written.
Expected<ProjectedRun> project_run(const RunRequest& request);

}  // namespace tb
