// The history database's schema (internal to src/history/ and its tests):
// the ordered migrations, the marker that says an SQLite file is a trainbench
// history, and a test hook inside record(). docs/results.md, "History database".
#pragma once

#include <cstdint>
#include <functional>

#include "common/error.h"
#include "history/sqlite_handle.h"

namespace tb::history {

// PRAGMA application_id of a trainbench history: "TBH1" in ASCII.
inline constexpr std::int64_t kApplicationId = 0x54424831;

// What an opened file holds, read without writing anything.
struct SchemaState {
  std::int64_t application_id = 0;
  std::int64_t user_version = 0;  // the schema version; 0 for a new database
  std::int64_t object_count = 0;  // entries of sqlite_schema (tables, indexes, ...)
};
// Fails with db.not_a_database() set when the file is not SQLite.
Expected<SchemaState> read_schema_state(const sqlite::Database& db);

// Applies migrations from the database's user_version up to `target_version`
// (1 <= target <= kHistorySchemaVersion), each in its own transaction that
// also sets user_version (and, for version 1, application_id): a migration is
// applied whole or not at all.
Status migrate(const sqlite::Database& db, int target_version);

// Test hook: called inside record()'s transaction after each measurement
// row and its samples are inserted, with the run id and the 0-based index of
// the measurement. Empty (the default) in production; set only by tests.
using AfterMeasurementHook = std::function<void(std::int64_t run_id, int index)>;
void set_after_measurement_hook(AfterMeasurementHook hook);
const AfterMeasurementHook& after_measurement_hook();

}  // namespace tb::history
