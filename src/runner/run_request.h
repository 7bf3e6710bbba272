// What the user asked `trainbench run` to do, as plain data: the CLI fills it
// in from the command line, the run session (run_session.h), the model run
// (model_run.h) and the projected run (projected_run.h) read it. Every value is
// checked by the code that reads it, before anything runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "runner/runner.h"

namespace tb {

// run --model: a model's training step measured here and compared with
// catalog instances (docs/cost.md, "Running a model"); trainbench cost reads
// the comparison options. 0 / empty = default.
struct ModelRequest {
  std::string name;                 // data/models/<name>.model; empty = no model run
  std::string tokens;               // tokens per step of a tensor-parallel group ("4096", "8K"); empty = micro_batch x seq_len
  std::int64_t micro_batch = 0;     // 0 = the model file's
  std::int64_t tp = 0, dp = 0;      // 0 = the model file's
  std::string dp_overlap = "on";    // on | off: the gradient all-reduce overlaps the backward
  std::string max_allreduce_bytes = "64M";  // all-reduces above this are measured at it and scaled (bytes)
  std::vector<std::string> instances;  // catalog instances to project; "all"; empty = the default set
  std::string pricing = "on-demand";   // on-demand | spot | capacity-block
  std::vector<std::string> prices;     // "USD" (this machine) or "INSTANCE=USD", USD per hour
  std::string train_tokens = "1T";     // token budget of the time/cost columns
  std::vector<std::string> efficiency;  // "KERNEL.FIELD=VALUE" overrides
  std::string catalog;                  // empty = data/instances.csv
  std::string published_runs;           // empty = data/published-runs.csv (the stated errors)
  int max_price_age_days = 90;          // warn about compared instances whose price is older (days)
};

struct RunRequest {
  std::string backend = "auto";  // kAutoBackend: cuda, then neuron, then cpu, the first available
  std::vector<std::string> problems;  // problem strings or sweeps
  std::vector<std::string> suites;    // suite file paths
  RunOptions options;
  BackendOptions backend_options;  // the backends' own options; threads, timeouts and MPI are set from `options`
  std::string out_dir = "results";
  std::string format = "table";  // table | json | csv (stdout)
  bool median_only = false;      // benchmarks[]: one median entry per passed problem (docs/results.md)
  double min_busbw_gb_per_s = 0.0;  // exit 1 when collectives' average bus bandwidth is below (GB/s); 0 = no floor
  ModelRequest model;
  std::string db;                // history database to record the run into (docs/nightly.md); empty = none
  std::string command_line;      // as typed, for the record
  std::string executable;
};

}  // namespace tb
