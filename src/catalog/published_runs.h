// Published, measured training runs (data/published-runs.csv, format in
// docs/cost.md, "Published runs"): the rows `trainbench validate` projects
// and the efficiency factors are fitted on. Each row is one run as its source
// published it (model, hardware, parallel layout, batch, precision, stack,
// measured tokens/s per device), with the source and its date. Rows from the
// calibration sources may be fitted on; all others only judge.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace tb {

struct PublishedRun {
  std::string id;        // unique, e.g. "nemo-llama3.1-8b-h100-8"
  std::string model;     // a data/models name ("llama3-8b")
  std::string hardware;  // the accelerator as data/instances.csv spells it ("H100-SXM")
  std::string instance;  // the catalog instance with that accelerator ("p5.48xlarge")
  std::int64_t devices = 0, tp = 1, pp = 1, dp = 1, vpp = 1, cp = 1;
  int zero = 0;             // 0..3 (Megatron's distributed optimizer is 1)
  std::string recompute;    // "none", "selective", "full"
  std::int64_t seq = 0, micro_batch = 0, global_batch = 0;
  std::string precision;    // "bf16", "fp8"
  std::string stack;        // software and version, e.g. "NeMo 24.12"
  double tokens_per_s_per_device = 0;      // as published or derived from it (notes say how)
  std::optional<double> mfu_published;     // fraction, where the source gives one
  bool calibration = false;  // source_kind "calibration" (may be fitted on) or "validation" (never fitted)
  std::string source;        // URL, or repository@commit:path
  std::string date;          // YYYY-MM-DD of the source's release or commit
  std::string notes;
  int line = 0;              // line in the file
};

// Reads and checks data/published-runs.csv: kIo when unreadable; kBadInput
// naming "<path>:<line>" and the column for an unknown or missing column, a
// wrong field count, a degree or batch that is not a positive integer, a
// zero stage outside 0..3, a recompute other than none/selective/full, a
// throughput that is not a positive number, an MFU outside (0, 1], a
// source_kind other than calibration/validation, an empty source, a date not
// YYYY-MM-DD, or an id used twice.
Expected<std::vector<PublishedRun>> read_published_runs(const std::string& path);

// TRAINBENCH_DATA_DIR/published-runs.csv.
std::string default_published_runs_path();

}  // namespace tb
