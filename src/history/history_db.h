// The history store: an embedded SQLite database (default results/history.db)
// of runs and their measurements, for nightly tracking (docs/results.md,
// "History database"). One transaction per run: a killed process leaves
// either the whole run or none of it. The schema is versioned (PRAGMA
// user_version) and migrated forward on open; a database from a newer
// trainbench, a file that is not SQLite, or an SQLite file that is not a
// trainbench history is refused without being modified. Internals:
// sqlite_handle.h (RAII handles), history_schema.h (schema, migrations).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "record/run_record.h"

namespace tb {

// The schema version this build writes and the newest it reads.
inline constexpr int kHistorySchemaVersion = 4;

struct HistoryRun {
  std::int64_t id = 0;
  std::string timestamp_utc;     // ISO 8601, Z (the run's context.timestamp_utc)
  std::string host;
  std::string backend;
  std::string device;            // device name
  std::string device_kind;       // "cpu", "gpu", "neuron"
  std::string instance;          // catalog instance type when known, else ""
  std::string git_commit;        // of trainbench
  std::string trainbench_version;
  std::string command_line;
  std::string environment_json;  // the result file's "context" object, as JSON text (BLAS config, compiler, ...)
  std::string source;            // "run" (recorded by trainbench run --db) or the imported file's path
  std::map<std::string, double> peak_flop_per_s;  // per dtype name (FLOP/s)
  double memory_bandwidth_bytes_per_s = 0.0;      // (B/s); 0 when unknown
  int measurement_count = 0;     // problems recorded for the run
};

struct HistoryMeasurement {
  std::int64_t run_id = 0;
  std::string problem;     // canonical problem string
  std::string kernel, dtype, status, provenance;
  double flop = 0.0;       // per execution (FLOP)
  double min_bytes = 0.0;  // per execution (B)
  std::vector<double> samples_s;  // every repetition's per-execution time (s), in repetition order
  double median_s = 0.0, p10_s = 0.0, p90_s = 0.0;  // (s); 0 when not timed
  double cv = 0.0;                 // coefficient of variation of the samples (fraction)
  double flop_per_s = 0.0;         // (FLOP/s)
  double bytes_per_s = 0.0;        // (B/s)
  double fraction_of_peak = -1.0;  // (fraction); -1 when unknown
  std::string peak_dtype;          // whose peak fraction_of_peak uses; "" before schema version 4
};

// A run --model's model, and why it has no cost comparison.
struct HistoryModelRun {
  std::int64_t run_id = 0;
  std::string model;
  std::string no_cost_reason;  // the error that stopped the comparison; "" when there was none
};

// One row of a run's cost comparison (run --model), as the result file had it.
struct HistoryCost {
  std::int64_t run_id = 0;
  std::string label;       // instance name or "this machine (...)"
  std::string provenance;  // "measured" | "projected"
  std::string settings;    // "tp=1 dp=8"
  std::string pricing;     // "on-demand", ...
  double tokens_per_s_instance = 0.0;   // (tokens/s)
  double mfu = -1.0;                    // (fraction); -1 unknown
  double usd_per_hour = 0.0;            // (USD/h); 0 unpriced
  double usd_per_million_tokens = 0.0;  // (USD per 1e6 tokens); 0 unpriced
  std::string price_source, price_date;
  std::string stated_error;  // projected rows: "+/-11% (leave-one-out ...)" or "unvalidated: ..."; "" measured or before version 3
};

struct RecordOutcome {
  std::int64_t run_id = 0;
  bool already_present = false;  // the same run (timestamp, host, backend, command line) was recorded before
};

class HistoryDb {
 public:
  enum class Mode {
    kReadOnly,   // the file must exist and be a history at a version this build reads; never written
    kReadWrite,  // created when missing (with its directory); older schemas are migrated
  };
  // Errors (kBadInput, naming the path): not a database; corrupt (its schema
  // page unreadable); not a trainbench history; newer schema version (names
  // both versions); missing or empty file in kReadOnly (says how to create
  // one). kIo when it cannot be opened or created. A refused file is left
  // unchanged. kReadWrite puts the file in WAL mode (docs/results.md).
  // One HistoryDb is used by one thread at a time; several processes may
  // open the same file (a writer waits up to 5 s for another's transaction).
  static Expected<HistoryDb> open(const std::string& path, Mode mode);

  HistoryDb(HistoryDb&&) noexcept;
  HistoryDb& operator=(HistoryDb&&) noexcept;
  ~HistoryDb();

  const std::string& path() const;
  int schema_version() const;  // after migration

  // Records a run, its measurements, samples and cost rows in one
  // transaction. A run already present (same timestamp, host, backend and
  // command line) is not recorded again: already_present, its id.
  Expected<RecordOutcome> record(const RunRecord& record, const std::string& source);

  // Runs, oldest first; `since_utc` (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, kBadInput
  // otherwise) keeps those at or after it, empty = all.
  Expected<std::vector<HistoryRun>> runs(const std::string& since_utc = "") const;
  Expected<HistoryRun> run(std::int64_t id) const;  // kBadInput naming the id when absent
  Expected<std::optional<HistoryRun>> latest_run() const;
  Expected<std::vector<HistoryMeasurement>> measurements(std::int64_t run_id) const;  // in recorded order
  // Every measurement of the runs at or after `since_utc` (empty = all), by run then recorded order.
  Expected<std::vector<HistoryMeasurement>> measurements_since(const std::string& since_utc = "") const;
  Expected<std::vector<HistoryCost>> costs(std::int64_t run_id) const;
  // The run's model run; nullopt for other runs and for runs recorded before schema version 4.
  Expected<std::optional<HistoryModelRun>> model_run(std::int64_t run_id) const;
  // "ok", or SQLite's integrity_check findings.
  Expected<std::string> integrity_check() const;

  struct Impl;

 private:
  explicit HistoryDb(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tb
