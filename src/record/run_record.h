// The record of one run: what ran where, and per problem the verification,
// the timing samples and the derived throughput. This is the in-memory form
// of the JSON result file (schema: docs/results.md); report/ serializes it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/statistics.h"
#include "cost/cost_table.h"
#include "kernels/problem.h"
#include "kernels/verification.h"
#include "model/step_decomposition.h"
#include "model/step_time.h"
#include "record/device_info.h"

namespace tb {

enum class ResultStatus {
  kPassed,   // verified, timed
  kFailed,   // ran, but the outputs failed verification: no throughput is reported
  kSkipped,  // the backend does not support the problem (reason says why)
  kError,    // could not be prepared or run (reason says why)
};
std::string_view status_name(ResultStatus s);  // "passed", "failed", "skipped", "error"
Expected<ResultStatus> parse_status(std::string_view name);

// One Google Benchmark run entry (a repetition or an aggregate), kept in GB's
// JSON shape so that GB's tools/compare.py reads our files.
struct BenchmarkEntry {
  std::string run_type;        // "iteration" or "aggregate"
  std::string aggregate_name;  // "mean", "median", "stddev", "cv", "min", "max" for aggregates
  std::string aggregate_unit;  // "time" or "percentage" for aggregates
  int repetitions = 0;
  int repetition_index = -1;   // -1 for aggregates
  std::int64_t iterations = 0;
  double real_time = 0.0;      // per execution, in `time_unit` (device time: manual timing)
  double cpu_time = 0.0;       // host CPU time of the launching thread per execution, in `time_unit`
  std::string time_unit;       // "ns" (Google Benchmark's default); files of trainbench 0.x before it: "ms"
};

// Seconds in one `time_unit` of Google Benchmark's: ns, us, ms or s.
Expected<double> seconds_per_time_unit(std::string_view time_unit);


// The nccl-tests figures of a collective (docs/allreduce.md). Times are the
// slowest rank's: each iteration's time is the maximum over ranks.
struct CollectiveResult {
  int ranks = 1;
  std::string transport;  // "threads" | "mpi"
  std::string algo;       // "ring" | "mpi"
  std::string op;         // "sum" | "max" | "min"
  bool in_place = false;
  std::int64_t count = 0;          // elements per rank
  double bus_factor = 1.0;         // 2 (ranks - 1) / ranks for all-reduce (dimensionless)
  double algbw_bytes_per_s = 0.0;  // bytes per rank / median time (B/s)
  double busbw_bytes_per_s = 0.0;  // algbw * bus_factor (B/s)
  std::int64_t wrong_elements = 0;  // summed over every rank's output (elements); 0 to pass
};

struct ProblemResult {
  std::string problem;  // canonical problem string
  std::string kernel;
  std::string dtype;
  ResultStatus status = ResultStatus::kError;
  std::string reason;          // why not passed; empty when passed
  std::string implementation;  // library and algorithm used
  std::string provenance = "measured";
  double flop = 0.0;           // per execution (FLOP)
  double min_bytes = 0.0;      // per execution (B)
  Verification verification;
  SampleSummary time_s;           // per-execution device time over repetitions (s)
  std::vector<double> samples_s;  // every repetition's per-execution time (s)
  std::int64_t iterations_per_sample = 0;
  // What one sample is: "mean of each repetition's iterations (Google
  // Benchmark real time)", or the statistic an external tool printed ("median
  // of 20 iterations (nccom-test time:p50(us); ...)"); empty for projections.
  std::string sample_statistic;
  // Every time statistic an external tool printed, one value per sample (s),
  // by the tool's name for it ({"avg": [...], "p50": [...]}); empty otherwise.
  std::map<std::string, std::vector<double>> tool_statistics_s;
  double flop_per_s = 0.0;        // flop / median time (FLOP/s)
  double bytes_per_s = 0.0;       // min_bytes / median time (B/s)
  double fraction_of_peak = -1.0;  // flop_per_s / device peak for peak_dtype; -1 when the peak is unknown
  std::string peak_dtype;          // whose peak fraction_of_peak uses: dtype, or the precision the kernel computes in
  std::vector<std::string> warnings;  // e.g. "noisy: coefficient of variation 7.1% is above 5%"
  std::optional<CollectiveResult> collective;  // set for collectives (all-reduce)
  std::string reproducer;      // a command line that reruns exactly this problem
  std::vector<BenchmarkEntry> entries;  // GB repetitions and aggregates (passed results only)
};

// A result for `problem` with what it is filled in, before anything runs: the
// canonical string, kernel, dtype, FLOP and bytes per execution, and for a
// collective its nccl-tests parameters (ranks, transport, algo, op, count,
// bus factor). Status kError until the caller says otherwise.
ProblemResult new_problem_result(const Problem& problem);

// The figures a result derives from its samples_s (s), measured or projected
// alike: the time summary; FLOP/s and B/s from the median; for a collective
// its algbw and busbw (nccl-tests: busbw = algbw x bus factor), for any other
// problem the fraction of `peak_flop_per_s` (FLOP/s; 0 = unknown: the fraction
// stays -1). A collective's reductions are not what limits it, so it gets no
// fraction of a compute peak. Nothing is derived from a median of 0.
void derive_figures(ProblemResult& r, double peak_flop_per_s);

struct RunContext {
  // Google Benchmark's context fields.
  std::string date;       // ISO 8601 with offset, local time
  std::string host_name;
  std::string executable;
  int num_cpus = 0;
  double mhz_per_cpu = 0.0;
  bool cpu_scaling_enabled = false;
  std::string library_build_type;  // "release" or "debug": of trainbench
  // Ours.
  std::string timestamp_utc;  // ISO 8601, Z
  std::string trainbench_version;
  std::string git_commit;
  std::string build_type;
  std::string compiler;
  std::string command_line;
  std::string cpu_model;
  std::string backend;
  DeviceInfo device;
  int repetitions = 0;
  double min_time_s = 0.0;
  double warmup_time_s = 0.0;
  std::uint64_t seed = 0;
  bool median_only = false;  // run --median-only: `benchmarks` holds one median entry per passed problem
  std::string processes = "single process";  // ProcessGroup::description(): "MPI: 2 processes (Open MPI v4.1.4)"
};

// One item of a model's training step and the time the run gave it.
struct StepItemResult {
  StepItem item;                 // from the decomposition
  std::string measured_problem;  // the problem that ran: item.problem, or a capped all-reduce (see scale)
  double scale = 1.0;            // time_s = measured median x scale (item bytes / measured bytes for a capped all-reduce)
  double time_s = 0.0;           // one execution (s); 0 when its problem did not pass
  std::string skipped;           // why its problem was skipped on this backend; empty unless it was (not serialized)
};

// What `trainbench run --model` adds to a run (docs/results.md, "model_run").
struct ModelRunRecord {
  ModelConfig model;         // the shape as run
  RunSettings run;           // seq_len resolved
  std::int64_t tokens = 0;   // tokens per step of one tensor-parallel group (micro_batch x seq_len)
  double flop_per_token = 0.0;  // model FLOP per token, training (FLOP)
  double device_flop = 0.0;     // one device's model FLOP per step (FLOP)
  StepTimeOptions step_options;
  std::vector<StepItemResult> items;  // in decomposition order
  std::optional<StepTime> step;       // composed; empty when a problem failed
  // The cost comparison as shown at the end of the run.
  double train_tokens = 0.0;          // token budget of the time/cost columns (tokens); 0 = none
  std::string pricing;                // "on-demand", "spot", "capacity-block"
  std::vector<CostRow> comparison;
  std::string comparison_error;       // why `comparison` is empty (the step could not be timed, ...); "" otherwise
};

struct RunRecord {
  RunContext context;
  std::vector<ProblemResult> results;
  std::optional<ModelRunRecord> model_run;  // set by run --model
};

// The one entry `--median-only` writes for `r`: Google Benchmark's median
// aggregate where it computed one; else the median of its repetition entries
// (one repetition: that repetition's times); else (a projection, or times an
// external tool printed) the median of samples_s, with cpu_time 0 (no
// launching thread was timed). Always an aggregate named "median", so a tracker's series keeps its
// name whatever the repetitions. Empty unless `r` passed.
std::optional<BenchmarkEntry> median_entry(const ProblemResult& r);

}  // namespace tb
