#include "history/history_schema.h"

#include <string>
#include <utility>

#include "history/history_db.h"

namespace tb::history {

namespace {

// Migration N takes a database from version N - 1 to N. Append only: a
// released migration never changes (docs/results.md, "History database").
constexpr const char* kMigrations[] = {
    // Version 1: runs, their peaks, measurements and samples.
    R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  timestamp_utc TEXT NOT NULL,
  host TEXT NOT NULL,
  backend TEXT NOT NULL,
  device TEXT NOT NULL,
  device_kind TEXT NOT NULL,
  instance TEXT NOT NULL,
  git_commit TEXT NOT NULL,
  trainbench_version TEXT NOT NULL,
  command_line TEXT NOT NULL,
  environment_json TEXT NOT NULL,
  source TEXT NOT NULL,
  memory_bandwidth_bytes_per_s REAL NOT NULL
);
CREATE UNIQUE INDEX runs_identity ON runs (timestamp_utc, host, backend, command_line);
CREATE TABLE peaks (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  dtype TEXT NOT NULL,
  flop_per_s REAL NOT NULL,
  PRIMARY KEY (run_id, dtype)
) WITHOUT ROWID;
CREATE TABLE measurements (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  problem TEXT NOT NULL,
  kernel TEXT NOT NULL,
  dtype TEXT NOT NULL,
  status TEXT NOT NULL,
  provenance TEXT NOT NULL,
  flop REAL NOT NULL,
  min_bytes REAL NOT NULL,
  median_s REAL NOT NULL,
  p10_s REAL NOT NULL,
  p90_s REAL NOT NULL,
  cv REAL NOT NULL,
  flop_per_s REAL NOT NULL,
  bytes_per_s REAL NOT NULL,
  fraction_of_peak REAL NOT NULL,
  UNIQUE (run_id, position)
);
CREATE TABLE samples (
  measurement_id INTEGER NOT NULL REFERENCES measurements (id) ON DELETE CASCADE,
  repetition INTEGER NOT NULL,
  time_s REAL NOT NULL,
  PRIMARY KEY (measurement_id, repetition)
) WITHOUT ROWID;
)sql",
    // Version 2: the cost comparison of run --model, and indexes for series queries.
    R"sql(
CREATE TABLE costs (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  label TEXT NOT NULL,
  provenance TEXT NOT NULL,
  settings TEXT NOT NULL,
  pricing TEXT NOT NULL,
  tokens_per_s_instance REAL NOT NULL,
  mfu REAL NOT NULL,
  usd_per_hour REAL NOT NULL,
  usd_per_million_tokens REAL NOT NULL,
  price_source TEXT NOT NULL,
  price_date TEXT NOT NULL,
  PRIMARY KEY (run_id, position)
) WITHOUT ROWID;
CREATE INDEX runs_series ON runs (backend, device, timestamp_utc);
CREATE INDEX measurements_problem ON measurements (problem, run_id);
)sql",
    // Version 3: the stated error of each projected cost row (docs/cost.md), '' for measured rows.
    R"sql(
ALTER TABLE costs ADD COLUMN stated_error TEXT NOT NULL DEFAULT '';
)sql",
    // Version 4: the peak each measurement was compared with (its dtype, or the
    // precision it computed in), and each run --model's model and, when it has no
    // cost comparison, why.
    R"sql(
ALTER TABLE measurements ADD COLUMN peak_dtype TEXT NOT NULL DEFAULT '';
CREATE TABLE model_runs (
  run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  no_cost_reason TEXT NOT NULL
);
)sql",
};
static_assert(std::size(kMigrations) == kHistorySchemaVersion, "one migration per schema version");

AfterMeasurementHook& hook_storage() {
  static AfterMeasurementHook hook;
  return hook;
}

}  // namespace

Expected<SchemaState> read_schema_state(const sqlite::Database& db) {
  SchemaState state;
  TB_ASSIGN_OR_RETURN(state.application_id, db.query_int("PRAGMA application_id"));
  TB_ASSIGN_OR_RETURN(state.user_version, db.query_int("PRAGMA user_version"));
  TB_ASSIGN_OR_RETURN(state.object_count, db.query_int("SELECT count(*) FROM sqlite_schema"));
  return state;
}

Status migrate(const sqlite::Database& db, int target_version) {
  if (target_version < 1 || target_version > kHistorySchemaVersion) {
    return bad_input("history schema version " + std::to_string(target_version) + " does not exist (expected 1 to " +
                     std::to_string(kHistorySchemaVersion) + ")");
  }
  TB_ASSIGN_OR_RETURN(const std::int64_t current, db.query_int("PRAGMA user_version"));
  for (std::int64_t version = current + 1; version <= target_version; ++version) {
    TB_ASSIGN_OR_RETURN(sqlite::Transaction transaction, sqlite::Transaction::begin(db));
    std::string sql = kMigrations[version - 1];
    if (version == 1) sql += "PRAGMA application_id = " + std::to_string(kApplicationId) + ";";
    sql += "PRAGMA user_version = " + std::to_string(version) + ";";
    if (!db.exec(sql).ok()) return db.error("migrating the history to schema version " + std::to_string(version));
    TB_RETURN_IF_ERROR(transaction.commit());
  }
  return {};
}

void set_after_measurement_hook(AfterMeasurementHook hook) { hook_storage() = std::move(hook); }

const AfterMeasurementHook& after_measurement_hook() { return hook_storage(); }

}  // namespace tb::history
