// All-reduce on Trainium through Neuron's collective benchmark, nccom-test
// (aws-neuronx-tools; AWS's nccom-test user guide, SDK 2.10 to 2.32; summary
// in docs/neuron.md, "nccom-test output").
//
// We do not link the collectives library, and we do not initialise the Neuron
// runtime for it (nrt_init would take the NeuronCores nccom-test's workers
// need): we run nccom-test as a child process (an argument vector, never a
// shell string), with a timeout, and parse its table by column name, in any
// of the documented forms:
//
//   SDK 2.10 guide:   size(B) count(elems) type time(us) algbw(GB/s) busbw(GB/s)
//   current:          size(B) count(elems) type time:avg(us) algbw(GB/s) busbw(GB/s)
//   --stats avg p50:  ... type time:avg(us) time:p50(us) algbw(GB/s) busbw(GB/s)
//   --show-input-output-size: total_input_size(B) total_output_size(B) after count(elems)
//   --show-algorithm: an algorithm column at the end
//   footer:           Avg bus bandwidth:<TAB>40.6901GB/s
//
// Statistics. The guides up to SDK 2.27 call the time(us) column the P50 of
// the iterations; from 2.28 the time column is the average ("time:avg(us)"),
// and --stats prints named percentiles too. A sample is the median when the
// tool printed one (time:p50(us), or the old time(us)), else the mean
// (time:avg(us)); NccomSample says which. We ask for --stats avg p50 when the
// installed nccom-test lists --stats in its --help.
//
// Units. nccom-test's header says "GB/s"; its guide says gibibytes (2^30 B/s),
// and its older published figures fit only that (33554432 B in 768 us is
// 43.69e9 B/s = 40.69 GiB/s, printed 40.69), while the guide's examples since
// 2025 compute 1e9 B/s. nccom_figures() reads each row both ways against
// size / time and uses the reading that fits (GiB/s when both fit, as
// documented); our own figures are bytes / time, in B/s, whatever it printed.
//
// Verification. We run fp32 only, with -c (nccom-test checks the results; up
// to SDK 2.12 for fp32 only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/dtype.h"
#include "common/error.h"
#include "common/subprocess.h"

namespace tb {

// Default location of nccom-test installed by aws-neuronx-tools.
inline constexpr std::string_view kNccomTestDefaultPath = "/opt/aws/neuron/bin/nccom-test";
// Environment variable naming the nccom-test executable (the --nccom-test flag wins).
inline constexpr std::string_view kNccomTestEnv = "TRAINBENCH_NCCOM_TEST";

// The executable to run: `flag_value` when not empty, else $TRAINBENCH_NCCOM_TEST
// when set and not empty, else kNccomTestDefaultPath when it exists, else
// "nccom-test" (looked up on PATH).
std::string resolve_nccom_test(std::string_view flag_value);

// The file resolve_nccom_test(flag_value) names, when it is an executable file
// (a bare name is searched on PATH); kUnavailable naming what was looked for
// otherwise. Decides whether the neuron backend can run all-reduce at all.
Expected<std::string> locate_nccom_test(std::string_view flag_value);

// Options of newer nccom-test versions, passed only when its --help lists them.
struct NccomOptions {
  bool stats = false;            // --stats avg p50 (documented from SDK 2.28; printed since 2.11)
  bool non_interactive = false;  // --non-interactive: no progress animation in captured output
};

// Runs `<executable> --help` (bounded by `timeout_s`) and reads which of
// NccomOptions it lists. Any failure (missing executable, non-zero exit,
// time-out) gives no options: the run itself then reports the problem.
NccomOptions probe_nccom_test(const std::string& executable, double timeout_s);

// One nccom-test all-reduce run: one size (min_bytes == max_bytes) or a sweep
// min_bytes, min_bytes * step_factor, ... up to max_bytes.
struct NccomRequest {
  std::string executable = "nccom-test";
  int ranks = 2;               // -r: total ranks (workers) over all nodes
  int nodes = 1;               // -N
  std::int64_t min_bytes = 0;  // -b: bytes per rank (B)
  std::int64_t max_bytes = 0;  // -e (B)
  int step_factor = 2;         // -f: only passed for a sweep
  int iters = 20;              // -n: timed iterations behind each printed statistic
  int warmup = 5;              // -w
  DType dtype = DType::kFp32;  // -d; -c (check) is passed for fp32 only
  NccomOptions options;        // what the installed nccom-test accepts (probe_nccom_test)
};

// Rejects values nccom-test would refuse or misread: ranks or nodes < 1,
// ranks not a multiple of nodes, min_bytes < 1 element, max_bytes < min_bytes,
// sizes not a multiple of the dtype size, step_factor < 2 for a sweep,
// iters < 1, warmup < 0, an empty executable.
Status check_nccom_request(const NccomRequest& request);

// The dtype's name on nccom-test's -d: fp32 -> "fp32", bf16 -> "bf16", fp16 -> "fp16".
std::string_view nccom_dtype_name(DType dtype);

// The argument vector (argv[0] = request.executable), the operation first:
//   <exe> all_reduce -r R -N N -b MIN -e MAX [-f F] -n ITERS -w WARMUP -d DTYPE
//         [--non-interactive] [--stats avg p50] [-c]
// The operation comes first and -c last because since SDK 2.28 -c takes an
// optional value (random, all_ones) that would swallow a word after it, as
// --stats swallows every word after it. Sizes are plain byte counts
// (nccom-test's "1kb"-style suffixes are avoided: no ambiguity between 1000
// and 1024). -f only when MIN != MAX; -c only for fp32.
std::vector<std::string> nccom_test_arguments(const NccomRequest& request);

// run_process (common/subprocess.h) with nccom-test's hint when the
// executable is missing: give its path with --nccom-test or
// TRAINBENCH_NCCOM_TEST (kUnavailable, naming the path).
Expected<ProcessOutput> run_with_timeout(const std::vector<std::string>& argv, double timeout_s,
                                         double grace_s = 2.0);

// One time column of a row: the statistic it names and its value.
struct NccomTime {
  std::string statistic;  // "avg", "p50", "p90", ...; "time(us)" for the old single column
  double us = 0.0;        // microseconds
};

// One row of the table, as printed.
struct NccomRow {
  std::int64_t size_bytes = 0;  // size(B): bytes per rank
  std::int64_t count = 0;       // count(elems)
  std::optional<std::int64_t> total_input_bytes, total_output_bytes;  // --show-input-output-size (B)
  std::string dtype;            // type, nccom-test's name ("fp32", "uint8", ...)
  std::vector<NccomTime> times; // every time column, in the printed order (at least one)
  double algbw_GBps = 0.0;      // algbw(GB/s) as printed (GiB/s or GB/s, see above)
  double busbw_GBps = 0.0;      // busbw(GB/s) as printed
  std::string algorithm;        // --show-algorithm ("ring", "mesh", ...), else empty

  // The value of time column `statistic`, or nullopt.
  std::optional<double> time_us(std::string_view statistic) const;
};

// The time a row stands for, and what it is: the median when printed
// (time:p50(us), else the old time(us), which the SDK 2.10-2.27 guides call
// the P50), else the mean (time:avg(us)), else the first time column.
struct NccomSample {
  double time_us = 0.0;
  std::string statistic;  // "median", "mean", or "p90"-style for another percentile
  std::string column;     // the column it came from, e.g. "time:p50(us)"
};
NccomSample nccom_sample(const NccomRow& row);

struct NccomResult {
  std::vector<std::string> columns;          // the header's column names, in order
  std::vector<NccomRow> rows;                // in the printed order
  std::optional<double> avg_busbw_GBps;      // the "Avg bus bandwidth" footer, as printed
};

// Parses nccom-test's stdout. Lines before the header are ignored (banners,
// runtime log lines); after it every non-blank line must be a row, the footer
// or a failure line. Columns are found by name: size(B), count(elems), type,
// algbw(GB/s), busbw(GB/s) and at least one time column (time(us) or
// time:<statistic>(us)) are required; total_input_size(B),
// total_output_size(B) and algorithm are read when present; other columns
// are skipped (a later version's additions). Errors:
// - "Neuron DKMS Driver is not running!" anywhere: kUnavailable, saying so;
// - failure rows ("Failure running neuron-bench - log file <path>") and/or
//   "<n> errors found - test failed": kRunFailure naming each failed size and
//   its log file;
// - no header, a header without a required column, no row, a row whose
//   column count differs from the header's or with a malformed number, a
//   second table, any other line after the header: kRunFailure quoting the
//   offending line.
Expected<NccomResult> parse_nccom_output(std::string_view text);

// Converts nccom-test's "GB/s" read as GiB/s (2^30 B/s, as its guide says) to bytes per second.
double nccom_gbps_to_bytes_per_s(double gbps);

// The unit a row's printed bandwidths fit (see "Units" above).
enum class NccomBandwidthUnit { kGiBps, kGBps };
std::string_view nccom_unit_name(NccomBandwidthUnit unit);  // "GiB/s", "GB/s (1e9 B/s)"

// One row in our units, the figures of a CollectiveResult (docs/allreduce.md).
struct NccomFigures {
  std::int64_t size_bytes = 0;      // bytes per rank (B)
  std::int64_t count = 0;           // elements per rank
  NccomSample sample;               // the time this row stands for (nccom_sample)
  double time_s = 0.0;              // sample.time_us in seconds
  NccomBandwidthUnit unit = NccomBandwidthUnit::kGiBps;  // the reading of "GB/s" that fits
  double algbw_bytes_per_s = 0.0;   // nccom-test's algbw, converted in `unit` (B/s)
  double busbw_bytes_per_s = 0.0;   // nccom-test's busbw, converted in `unit` (B/s)
  double bus_factor = 1.0;          // 2 (ranks - 1) / ranks
  // size_bytes / the time nccom-test's algbw is computed from (its average,
  // else its only time column), by us (B/s): the cross-check.
  double derived_algbw_bytes_per_s = 0.0;
  // Empty when nccom-test's algbw and busbw agree with size / time and the bus
  // factor within the rounding of the printed figures in one of the two
  // units; else what disagrees.
  std::string warning;
};
NccomFigures nccom_figures(const NccomRow& row, int ranks);

// Runs nccom-test for `request` and parses its table. A reported failure (failed
// size, missing driver; on stdout or stderr) gives that error; otherwise a
// non-zero exit gives an error with the exit status and the output's last
// line; otherwise the table's parse.
Expected<NccomResult> run_nccom_test(const NccomRequest& request, double timeout_s);

}  // namespace tb
