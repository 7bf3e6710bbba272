// Efficiency factors of the projection model (docs/cost.md, "Efficiency
// factors"): for each device class and kernel, the fraction of peak FLOP/s and
// of memory bandwidth a good implementation reaches, a fixed launch overhead,
// and for all-reduce the latency and the fraction of link bandwidth a ring
// reaches. They are data (data/efficiency.csv), each row with its source or
// "assumption: ...", and can be overridden on the command line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace tb {

// One row of data/efficiency.csv. `device_class` is an accelerator name as
// the instance catalog spells it ("H100-SXM", "Trainium2"), "cpu" for CPUs
// (this machine and CPU-only instances), or "default" (used when a class has
// no row for the kernel).
// Op classes beyond the kernel registry's names: the memory-bound operations
// of a training step (roofline fields memory and launch) and the link between
// instances (link fields alpha and link; the collective rows describe the
// intra-node link).
inline constexpr const char* kElementwiseOp = "elementwise";
inline constexpr const char* kNetworkOp = "network";

struct EfficiencyRow {
  std::string device_class;
  std::string kernel;              // a kernel ("gemm", "attention", "allreduce") or op class ("elementwise", "network")
  double compute = 1.0;            // fraction of peak FLOP/s, (0, 1]; gemm, attention
  double memory = 1.0;             // fraction of memory bandwidth, (0, 1]; gemm, attention
  double launch_overhead_s = 0.0;  // per kernel execution (s); gemm, attention
  double alpha_s = 0.0;            // allreduce: latency per all-reduce (s)
  double link = 1.0;               // allreduce: fraction of link bandwidth a ring reaches, (0, 1]
  std::string source;              // where the figures come from, or "assumption: <why>"; "command line" after an override
  std::vector<std::string> fitted_on;  // published-run ids a fitted factor was fitted on (empty: not fitted)
  int line = 0;                    // line in the file (0 when set in code)
};

struct EfficiencyTable {
  std::string path;  // the file it was read from
  std::vector<EfficiencyRow> rows;

  // The row for (device_class, kernel), else ("default", kernel); kBadInput
  // naming the class, the kernel and the file when neither exists.
  Expected<EfficiencyRow> find(std::string_view device_class, std::string_view kernel) const;
};

// Reads and validates data/efficiency.csv (format: docs/cost.md). kIo when
// unreadable; kBadInput naming "<path>:<line>" for an unknown or missing
// column, a wrong field count, a malformed number or one out of range, an
// unknown kernel, an empty source, or a duplicate (device_class, kernel).
// A "default" row for every kernel is required.
Expected<EfficiencyTable> read_efficiency_table(const std::string& path);

// TRAINBENCH_DATA_DIR/efficiency.csv.
std::string default_efficiency_table_path();

// Applies one command-line override "KERNEL.FIELD=VALUE" to every row of that
// kernel (every device class), e.g. "gemm.compute=0.7", "attention.memory=0.5",
// "gemm.launch_us=5", "allreduce.link=0.8", "allreduce.alpha_us=20". Fields:
// compute, memory, launch_us (gemm, attention); link, alpha_us (allreduce).
// The rows' source becomes "command line: <text>". kBadInput naming the text
// and what is expected otherwise (unknown kernel or field, value out of range).
Status apply_efficiency_override(EfficiencyTable& table, std::string_view text);

// The device class of a catalog accelerator name: "cpu" for "none", the name itself otherwise.
std::string device_class_of_accelerator(std::string_view accelerator);

}  // namespace tb
