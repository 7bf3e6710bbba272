// All-reduce on Trainium through Neuron's collective benchmark, nccom-test
// (aws-neuronx-tools; AWS's nccom-test user guide; summary in docs/neuron.md).
//
// We do not link the collectives library: we run nccom-test as a child process
// (an argument vector, never a shell string), with a timeout, and parse its
// table:
//
//          size(B)    count(elems)     type    time(us)    algbw(GB/s)    busbw(GB/s)
//         33554432        33554432    uint8         768          40.69          40.69
//     Avg bus bandwidth:      40.6901GB/s
//
// Units. nccom-test's "GB/s" are GiB/s (2^30 B/s), not the 1e9 B/s of
// nccl-tests and of our results: its published figures fit only that reading
// (33554432 B in 768 us is 43.69e9 B/s = 40.69 GiB/s, printed 40.69; 1 GiB in
// 18.9 ms on 2 ranks is 56.8e9 B/s = 52.9 GiB/s, printed busbw 52.8). The one
// conversion is nccom_gbps_to_bytes_per_s(); NccomFigures also carries
// bytes / time computed by us, so a tool version that changed its unit shows up
// as a disagreement (NccomFigures::warning).
//
// Verification. nccom-test checks results (-c) only for fp32; bf16 and fp16
// runs are timed but not checked by nccom-test (nor by us: the buffers never
// reach this process).
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

// One nccom-test all-reduce run: one size (min_bytes == max_bytes) or a sweep
// min_bytes, min_bytes * step_factor, ... up to max_bytes.
struct NccomRequest {
  std::string executable = "nccom-test";
  int ranks = 2;               // -r: total ranks (workers) over all nodes
  int nodes = 1;               // -N
  std::int64_t min_bytes = 0;  // -b: bytes per rank (B)
  std::int64_t max_bytes = 0;  // -e (B)
  int step_factor = 2;         // -f: only passed for a sweep
  int iters = 20;              // -n: timed iterations (nccom-test reports the median)
  int warmup = 5;              // -w
  DType dtype = DType::kFp32;  // -d; -c (check) is passed for fp32 only
};

// Rejects values nccom-test would refuse or misread: ranks or nodes < 1,
// ranks not a multiple of nodes, min_bytes < 1 element, max_bytes < min_bytes,
// sizes not a multiple of the dtype size, step_factor < 2 for a sweep,
// iters < 1, warmup < 0, an empty executable.
Status check_nccom_request(const NccomRequest& request);

// The dtype's name on nccom-test's -d: fp32 -> "fp32", bf16 -> "bf16", fp16 -> "fp16".
std::string_view nccom_dtype_name(DType dtype);

// The argument vector (argv[0] = request.executable), options before the op:
//   <exe> -r R -N N -b MIN -e MAX [-f F] -n ITERS -w WARMUP -d DTYPE [-c] all_reduce
// Sizes are plain byte counts (nccom-test's "1kb"-style suffixes are avoided:
// no ambiguity between 1000 and 1024). -f only when MIN != MAX; -c only for fp32.
std::vector<std::string> nccom_test_arguments(const NccomRequest& request);

// run_process (common/subprocess.h) with nccom-test's hint when the
// executable is missing: give its path with --nccom-test or
// TRAINBENCH_NCCOM_TEST (kUnavailable, naming the path).
Expected<ProcessOutput> run_with_timeout(const std::vector<std::string>& argv, double timeout_s,
                                         double grace_s = 2.0);

// One row of the table, as printed.
struct NccomRow {
  std::int64_t size_bytes = 0;  // size(B): bytes per rank
  std::int64_t count = 0;       // count(elems)
  std::string dtype;            // type, nccom-test's name ("fp32", "uint8", ...)
  double time_us = 0.0;         // time(us): median over iterations
  double algbw_GBps = 0.0;      // algbw(GB/s) as printed: GiB/s, see above
  double busbw_GBps = 0.0;      // busbw(GB/s) as printed: GiB/s
};

struct NccomResult {
  std::vector<NccomRow> rows;                // in the printed order
  std::optional<double> avg_busbw_GBps;      // the "Avg bus bandwidth" footer, as printed (GiB/s)
};

// Parses nccom-test's stdout. Lines before the header are ignored (banners,
// runtime log lines); after it every non-blank line must be a row, the footer
// or a failure line. Errors:
// - "Neuron DKMS Driver is not running!" anywhere: kUnavailable, saying so;
// - failure rows ("Failure running neuron-bench - log file <path>") and/or
//   "<n> errors found - test failed": kRunFailure naming each failed size and
//   its log file;
// - no header, no row, a row with too few columns or a malformed number, any
//   other line after the header: kRunFailure quoting the offending line.
Expected<NccomResult> parse_nccom_output(std::string_view text);

// Converts nccom-test's "GB/s" (GiB/s, 2^30 B/s) to bytes per second.
double nccom_gbps_to_bytes_per_s(double gbps);

// One row in our units, the figures of a CollectiveResult (docs/allreduce.md).
struct NccomFigures {
  std::int64_t size_bytes = 0;      // bytes per rank (B)
  std::int64_t count = 0;           // elements per rank
  double time_s = 0.0;              // median time of one all-reduce (s)
  double algbw_bytes_per_s = 0.0;   // nccom-test's algbw, converted (B/s)
  double busbw_bytes_per_s = 0.0;   // nccom-test's busbw, converted (B/s)
  double bus_factor = 1.0;          // 2 (ranks - 1) / ranks
  double derived_algbw_bytes_per_s = 0.0;  // size_bytes / time_s, computed by us (B/s): cross-check
  // Empty when nccom-test's algbw and busbw agree with size / time and the bus
  // factor within the rounding of the printed figures; else what disagrees.
  std::string warning;
};
NccomFigures nccom_figures(const NccomRow& row, int ranks);

// Runs nccom-test for `request` and parses its table. A reported failure (failed
// size, missing driver; on stdout or stderr) gives that error; otherwise a
// non-zero exit gives an error with the exit status and the output's last
// line; otherwise the table's parse.
Expected<NccomResult> run_nccom_test(const NccomRequest& request, double timeout_s);

}  // namespace tb
