#include "history/history_db.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "common/atomic_file.h"
#include "common/dtype.h"
#include "history/history_schema.h"
#include "history/sqlite_handle.h"
#include "report/result_json.h"

namespace tb {

namespace {

using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

std::string how_to_create(const std::string& path) {
  return "create one with `trainbench run --db " + path + "` or `trainbench history import --db " + path + " FILE`";
}

// A writer killed mid-transaction in rollback-journal mode (an older
// trainbench, the sqlite3 shell) leaves a hot journal, PATH-journal, which a
// read-only connection cannot roll back. A read-write connection rolls it
// back on its first read, restoring the last committed state: exactly what the
// next writer would do, so a read-only command does it first.
Status roll_back_interrupted_write(const std::string& path) {
  Expected<Database> writer = Database::open(path, Database::Access::kReadWrite);
  if (writer.ok() && writer->query_int("PRAGMA user_version").ok()) return {};
  return bad_input(path + " holds an unfinished write (" + path +
                   "-journal, left by a writer that was killed mid-transaction), which must be rolled back before it "
                   "can be read, and it cannot be opened for writing here (" +
                   (writer.ok() ? writer->last_error() : writer.error().message) +
                   "): run this command once as a user who can write " + path + " and its directory");
}

// The instance type the backend reported (neuron: instance_type; projected: instance), else "".
std::string instance_of(const DeviceInfo& device) {
  for (const auto& [key, value] : device.properties) {
    if (key == "instance_type" || key == "instance") return value;
  }
  return "";
}

// Empty, YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ (compared as text with the stored times).
Status check_since(const std::string& since_utc) {
  if (since_utc.empty()) return {};
  auto digit = [&](std::size_t i) { return i < since_utc.size() && since_utc[i] >= '0' && since_utc[i] <= '9'; };
  bool ok = since_utc.size() >= 10 && since_utc[4] == '-' && since_utc[7] == '-';
  for (const std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) ok = ok && digit(i);
  if (ok && since_utc.size() > 10) ok = since_utc[10] == 'T';
  if (!ok) {
    return bad_input("since time '" + since_utc +
                     "' is not an ISO 8601 UTC time (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
  }
  return {};
}

constexpr const char* kRunColumns =
    "SELECT id, timestamp_utc, host, backend, device, device_kind, instance, git_commit, trainbench_version, "
    "command_line, environment_json, source, memory_bandwidth_bytes_per_s, "
    "(SELECT count(*) FROM measurements m WHERE m.run_id = runs.id) FROM runs ";

// The measurement columns of a history at schema `version` (peak_dtype: version 4 on).
std::string measurement_columns(int version) {
  return std::string("SELECT m.run_id, m.problem, m.kernel, m.dtype, m.status, m.provenance, m.flop, m.min_bytes, "
                     "m.median_s, m.p10_s, m.p90_s, m.cv, m.flop_per_s, m.bytes_per_s, m.fraction_of_peak, m.id, "
                     "s.time_s, ") +
         (version >= 4 ? "m.peak_dtype" : "''") +
         " FROM measurements m JOIN runs r ON r.id = m.run_id LEFT JOIN samples s ON s.measurement_id = m.id ";
}
constexpr const char* kMeasurementOrder = " ORDER BY r.timestamp_utc, r.id, m.position, s.repetition";

}  // namespace

struct HistoryDb::Impl {
  Database db;
  Mode mode = Mode::kReadOnly;
  int version = 0;  // PRAGMA user_version after migration

  // The statements record() reuses, prepared on its first call.
  struct Inserts {
    Statement find_run, run, peak, measurement, sample, cost, model_run;
  };
  std::optional<Inserts> inserts;

  Status prepare_inserts();
  Expected<RecordOutcome> record_in_transaction(const RunRecord& record, const std::string& source);

  // Runs selected by `where_order` (SQL after FROM runs) with `values` bound to ?1, ?2, ...
  template <typename... Values>
  Expected<std::vector<HistoryRun>> read_runs(const std::string& where_order, const Values&... values) const;
  // Measurements of the runs selected by `where` (SQL on r, the run) with `value` bound to ?1.
  template <typename Value>
  Expected<std::vector<HistoryMeasurement>> read_measurements(const std::string& where, const Value& value) const;
};

Status HistoryDb::Impl::prepare_inserts() {
  if (inserts) return {};
  auto prepare = [&](const char* sql) { return db.prepare(sql, /*persistent=*/true); };
  TB_ASSIGN_OR_RETURN(Statement find_run,
                      prepare("SELECT id FROM runs WHERE timestamp_utc = ?1 AND host = ?2 AND backend = ?3 "
                              "AND command_line = ?4"));
  TB_ASSIGN_OR_RETURN(Statement run,
                      prepare("INSERT INTO runs (timestamp_utc, host, backend, device, device_kind, instance, "
                              "git_commit, trainbench_version, command_line, environment_json, source, "
                              "memory_bandwidth_bytes_per_s) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"));
  TB_ASSIGN_OR_RETURN(Statement peak, prepare("INSERT INTO peaks (run_id, dtype, flop_per_s) VALUES (?1, ?2, ?3)"));
  TB_ASSIGN_OR_RETURN(Statement measurement,
                      prepare("INSERT INTO measurements (run_id, position, problem, kernel, dtype, status, "
                              "provenance, flop, min_bytes, median_s, p10_s, p90_s, cv, flop_per_s, bytes_per_s, "
                              "fraction_of_peak, peak_dtype) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                              "?12, ?13, ?14, ?15, ?16, ?17)"));
  TB_ASSIGN_OR_RETURN(Statement sample,
                      prepare("INSERT INTO samples (measurement_id, repetition, time_s) VALUES (?1, ?2, ?3)"));
  TB_ASSIGN_OR_RETURN(Statement cost,
                      prepare("INSERT INTO costs (run_id, position, label, provenance, settings, pricing, "
                              "tokens_per_s_instance, mfu, usd_per_hour, usd_per_million_tokens, price_source, "
                              "price_date, stated_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                              "?13)"));
  TB_ASSIGN_OR_RETURN(Statement model_run,
                      prepare("INSERT INTO model_runs (run_id, model, no_cost_reason) VALUES (?1, ?2, ?3)"));
  inserts = Inserts{std::move(find_run),    std::move(run),    std::move(peak),     std::move(measurement),
                    std::move(sample),      std::move(cost),   std::move(model_run)};
  return {};
}

Expected<RecordOutcome> HistoryDb::Impl::record_in_transaction(const RunRecord& record, const std::string& source) {
  Inserts& in = *inserts;
  const RunContext& c = record.context;
  TB_ASSIGN_OR_RETURN(Transaction transaction, Transaction::begin(db));

  TB_RETURN_IF_ERROR(in.find_run.bind(c.timestamp_utc, c.host_name, c.backend, c.command_line));
  TB_ASSIGN_OR_RETURN(const bool present, in.find_run.step());
  if (present) {
    const std::int64_t id = in.find_run.column_int(0);
    in.find_run.reset();
    return RecordOutcome{id, true};  // the transaction rolls back: nothing was written
  }

  RunRecord context_only;  // to_json's "context" depends on the context alone
  context_only.context = c;
  const std::string environment = to_json(context_only)["context"].dump();
  TB_RETURN_IF_ERROR(in.run.bind(c.timestamp_utc, c.host_name, c.backend, c.device.name, c.device.kind,
                                 instance_of(c.device), c.git_commit, c.trainbench_version, c.command_line,
                                 environment, source, c.device.memory_bandwidth_bytes_per_s));
  TB_RETURN_IF_ERROR(in.run.run());
  const std::int64_t run_id = db.last_insert_rowid();

  for (const auto& [dtype, peak] : c.device.peak_flop_per_s) {
    TB_RETURN_IF_ERROR(in.peak.bind(run_id, dtype_name(dtype), peak));
    TB_RETURN_IF_ERROR(in.peak.run());
  }

  for (std::size_t i = 0; i < record.results.size(); ++i) {
    const ProblemResult& r = record.results[i];
    TB_RETURN_IF_ERROR(in.measurement.bind(run_id, static_cast<std::int64_t>(i), r.problem, r.kernel, r.dtype,
                                           status_name(r.status), r.provenance, r.flop, r.min_bytes, r.time_s.median,
                                           r.time_s.p10, r.time_s.p90, r.time_s.cv, r.flop_per_s, r.bytes_per_s,
                                           r.fraction_of_peak, r.peak_dtype));
    TB_RETURN_IF_ERROR(in.measurement.run());
    const std::int64_t measurement_id = db.last_insert_rowid();
    for (std::size_t k = 0; k < r.samples_s.size(); ++k) {
      TB_RETURN_IF_ERROR(in.sample.bind(measurement_id, static_cast<std::int64_t>(k), r.samples_s[k]));
      TB_RETURN_IF_ERROR(in.sample.run());
    }
    if (const auto& hook = history::after_measurement_hook()) hook(run_id, static_cast<int>(i));
  }

  if (record.model_run) {
    const ModelRunRecord& m = *record.model_run;
    TB_RETURN_IF_ERROR(in.model_run.bind(run_id, m.model.name, m.comparison_error));
    TB_RETURN_IF_ERROR(in.model_run.run());
    const std::vector<CostRow>& rows = m.comparison;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const CostRow& row = rows[i];
      const bool priced = row.price.usd_per_hour.has_value();
      TB_RETURN_IF_ERROR(in.cost.bind(run_id, static_cast<std::int64_t>(i), row.label, row.provenance, row.settings,
                                      row.price.pricing, row.figures.tokens_per_s_instance, row.figures.mfu,
                                      row.price.usd_per_hour.value_or(0.0),
                                      priced ? row.figures.usd_per_million_tokens : 0.0, row.price.source,
                                      row.price.date,
                                      row.stated_error.device_class.empty() ? std::string() : row.stated_error.text()));
      TB_RETURN_IF_ERROR(in.cost.run());
    }
  }

  TB_RETURN_IF_ERROR(transaction.commit());
  return RecordOutcome{run_id, false};
}

template <typename... Values>
Expected<std::vector<HistoryRun>> HistoryDb::Impl::read_runs(const std::string& where_order,
                                                             const Values&... values) const {
  TB_ASSIGN_OR_RETURN(Statement select, db.prepare(std::string(kRunColumns) + where_order));
  TB_ASSIGN_OR_RETURN(Statement peaks,
                      db.prepare("SELECT dtype, flop_per_s FROM peaks WHERE run_id = ?1 ORDER BY dtype"));
  TB_RETURN_IF_ERROR(select.bind(values...));
  std::vector<HistoryRun> runs;
  while (true) {
    TB_ASSIGN_OR_RETURN(const bool row, select.step());
    if (!row) break;
    HistoryRun run;
    run.id = select.column_int(0);
    std::string* const text[] = {&run.timestamp_utc, &run.host,        &run.backend,
                                 &run.device,        &run.device_kind, &run.instance,
                                 &run.git_commit,    &run.trainbench_version, &run.command_line,
                                 &run.environment_json, &run.source};
    for (int i = 0; i < static_cast<int>(std::size(text)); ++i) *text[i] = select.column_text(1 + i);
    run.memory_bandwidth_bytes_per_s = select.column_double(12);
    run.measurement_count = static_cast<int>(select.column_int(13));
    TB_RETURN_IF_ERROR(peaks.bind(run.id));
    while (true) {
      TB_ASSIGN_OR_RETURN(const bool peak, peaks.step());
      if (!peak) break;
      run.peak_flop_per_s[peaks.column_text(0)] = peaks.column_double(1);
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

template <typename Value>
Expected<std::vector<HistoryMeasurement>> HistoryDb::Impl::read_measurements(const std::string& where,
                                                                             const Value& value) const {
  TB_ASSIGN_OR_RETURN(Statement select, db.prepare(measurement_columns(version) + where + kMeasurementOrder));
  TB_RETURN_IF_ERROR(select.bind(value));
  std::vector<HistoryMeasurement> measurements;
  std::int64_t current_id = -1;  // measurements.id of measurements.back()
  while (true) {
    TB_ASSIGN_OR_RETURN(const bool row, select.step());
    if (!row) break;
    const std::int64_t id = select.column_int(15);
    if (id != current_id) {
      current_id = id;
      HistoryMeasurement m;
      m.run_id = select.column_int(0);
      m.problem = select.column_text(1);
      m.kernel = select.column_text(2);
      m.dtype = select.column_text(3);
      m.status = select.column_text(4);
      m.provenance = select.column_text(5);
      double* const number[] = {&m.flop, &m.min_bytes,  &m.median_s,    &m.p10_s,           &m.p90_s,
                                &m.cv,   &m.flop_per_s, &m.bytes_per_s, &m.fraction_of_peak};
      for (int i = 0; i < static_cast<int>(std::size(number)); ++i) *number[i] = select.column_double(6 + i);
      m.peak_dtype = select.column_text(17);
      measurements.push_back(std::move(m));
    }
    if (!select.column_is_null(16)) measurements.back().samples_s.push_back(select.column_double(16));
  }
  return measurements;
}

HistoryDb::HistoryDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HistoryDb::HistoryDb(HistoryDb&&) noexcept = default;
HistoryDb& HistoryDb::operator=(HistoryDb&&) noexcept = default;
HistoryDb::~HistoryDb() {
  if (!impl_ || impl_->mode != Mode::kReadWrite) return;
  // Back to a rollback journal at rest: the WAL is checkpointed and removed,
  // so read-only opens later find one file and create no PATH-wal/PATH-shm
  // beside it. Best effort: with another connection open it stays in WAL mode.
  impl_->inserts.reset();
  (void)impl_->db.exec("PRAGMA journal_mode = DELETE");
}

Expected<HistoryDb> HistoryDb::open(const std::string& path, Mode mode) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (const std::optional<std::string> kind = non_regular_kind(path)) {
    return io_error("cannot open the history database '" + path + "': it is not a regular file (" + *kind + ")");
  }
  if (!exists && mode == Mode::kReadOnly) {
    return bad_input(path + " does not exist, so there is no history to read; " + how_to_create(path));
  }
  if (!exists) {
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (!dir.empty() && !std::filesystem::create_directories(dir, ec) && ec) {
      return io_error("cannot create the directory " + dir.string() + " for the history database " + path + ": " +
                      ec.message());
    }
  }
  const Database::Access access = mode == Mode::kReadOnly ? Database::Access::kReadOnly
                                  : exists                ? Database::Access::kReadWrite
                                                          : Database::Access::kReadWriteCreate;
  TB_ASSIGN_OR_RETURN(Database db, Database::open(path, access));

  // Only reads until the file is known to be ours at a version we read.
  Expected<history::SchemaState> state = history::read_schema_state(db);
  if (!state.ok() && db.needs_rollback()) {
    TB_RETURN_IF_ERROR(roll_back_interrupted_write(path));
    TB_ASSIGN_OR_RETURN(db, Database::open(path, access));
    state = history::read_schema_state(db);
  }
  if (!state.ok()) {
    if (db.not_a_database()) {
      return bad_input(path + " is not a trainbench history database (SQLite: file is not a database); it was left "
                              "unchanged");
    }
    if (db.corrupt()) {
      return bad_input(path + " is a corrupt SQLite database (" + db.last_error() +
                       "); it was left unchanged: restore it from a backup or use another --db");
    }
    return state.error();
  }
  const bool empty = state->application_id == 0 && state->user_version == 0 && state->object_count == 0;
  if (!empty && state->application_id != history::kApplicationId) {
    return bad_input(path + " is an SQLite database but not a trainbench history database (application_id " +
                     std::to_string(state->application_id) + ", expected " + std::to_string(history::kApplicationId) +
                     "); it was left unchanged");
  }
  if (state->user_version > kHistorySchemaVersion) {
    return bad_input(path + " has history schema version " + std::to_string(state->user_version) +
                     ", newer than this trainbench reads (" + std::to_string(kHistorySchemaVersion) +
                     "); use a newer trainbench or another --db");
  }
  if (mode == Mode::kReadOnly && empty) {
    return bad_input(path + " is an empty SQLite database, not a trainbench history yet; " + how_to_create(path));
  }
  if (mode == Mode::kReadWrite) {
    // Write-ahead log: a commit appends to PATH-wal and is atomic; NORMAL
    // syncs only at checkpoints (a power loss may drop the latest runs, never
    // half a run; a killed process loses nothing committed). Readers do not
    // block the writer, and a writer killed at any point (schema creation
    // included, hence WAL before migrating) leaves no hot rollback journal
    // that read-only opens would have to refuse. The destructor returns the
    // file to a rollback journal, so that it is one file at rest.
    TB_RETURN_IF_ERROR(db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL"));
    TB_RETURN_IF_ERROR(history::migrate(db, kHistorySchemaVersion));
  }

  TB_ASSIGN_OR_RETURN(const std::int64_t version, db.query_int("PRAGMA user_version"));
  return HistoryDb(std::unique_ptr<Impl>(new Impl{std::move(db), mode, static_cast<int>(version), std::nullopt}));
}

const std::string& HistoryDb::path() const { return impl_->db.path(); }

int HistoryDb::schema_version() const { return impl_->version; }

Expected<RecordOutcome> HistoryDb::record(const RunRecord& record, const std::string& source) {
  if (impl_->mode == Mode::kReadOnly) return bad_input(path() + " was opened read-only; cannot record a run into it");
  TB_RETURN_IF_ERROR(impl_->prepare_inserts());
  Expected<RecordOutcome> outcome = impl_->record_in_transaction(record, source);
  if (!outcome.ok()) {
    Error error = outcome.error();
    error.message = "recording the run of " + record.context.timestamp_utc + " from " + source +
                    " failed, nothing of it was recorded: " + error.message;
    return error;
  }
  return outcome;
}

Expected<std::vector<HistoryRun>> HistoryDb::runs(const std::string& since_utc) const {
  TB_RETURN_IF_ERROR(check_since(since_utc));
  return impl_->read_runs("WHERE timestamp_utc >= ?1 ORDER BY timestamp_utc, id", since_utc);
}

Expected<HistoryRun> HistoryDb::run(std::int64_t id) const {
  TB_ASSIGN_OR_RETURN(std::vector<HistoryRun> runs, impl_->read_runs("WHERE id = ?1", id));
  if (runs.empty()) return bad_input("no run with id " + std::to_string(id) + " in the history " + path());
  return std::move(runs.front());
}

Expected<std::optional<HistoryRun>> HistoryDb::latest_run() const {
  TB_ASSIGN_OR_RETURN(std::vector<HistoryRun> runs,
                      impl_->read_runs("ORDER BY timestamp_utc DESC, id DESC LIMIT 1"));
  if (runs.empty()) return std::optional<HistoryRun>();
  return std::optional<HistoryRun>(std::move(runs.front()));
}

Expected<std::vector<HistoryMeasurement>> HistoryDb::measurements(std::int64_t run_id) const {
  return impl_->read_measurements("WHERE r.id = ?1", run_id);
}

Expected<std::vector<HistoryMeasurement>> HistoryDb::measurements_since(const std::string& since_utc) const {
  TB_RETURN_IF_ERROR(check_since(since_utc));
  return impl_->read_measurements("WHERE r.timestamp_utc >= ?1", since_utc);
}

Expected<std::optional<HistoryModelRun>> HistoryDb::model_run(std::int64_t run_id) const {
  if (impl_->version < 4) return std::optional<HistoryModelRun>();  // no model_runs table before version 4
  TB_ASSIGN_OR_RETURN(Statement select,
                      impl_->db.prepare("SELECT model, no_cost_reason FROM model_runs WHERE run_id = ?1"));
  TB_RETURN_IF_ERROR(select.bind(run_id));
  TB_ASSIGN_OR_RETURN(const bool row, select.step());
  if (!row) return std::optional<HistoryModelRun>();
  return std::optional<HistoryModelRun>(HistoryModelRun{run_id, select.column_text(0), select.column_text(1)});
}

Expected<std::vector<HistoryCost>> HistoryDb::costs(std::int64_t run_id) const {
  std::vector<HistoryCost> costs;
  if (impl_->version < 2) return costs;  // version 1 had no costs table (read-only open of an old history)
  const std::string stated = impl_->version >= 3 ? "stated_error" : "''";  // version 3 added the column
  TB_ASSIGN_OR_RETURN(Statement select,
                      impl_->db.prepare("SELECT label, provenance, settings, pricing, tokens_per_s_instance, mfu, "
                                        "usd_per_hour, usd_per_million_tokens, price_source, price_date, " +
                                        stated + " FROM costs WHERE run_id = ?1 ORDER BY position"));
  TB_RETURN_IF_ERROR(select.bind(run_id));
  while (true) {
    TB_ASSIGN_OR_RETURN(const bool row, select.step());
    if (!row) break;
    HistoryCost c;
    c.run_id = run_id;
    c.label = select.column_text(0);
    c.provenance = select.column_text(1);
    c.settings = select.column_text(2);
    c.pricing = select.column_text(3);
    c.tokens_per_s_instance = select.column_double(4);
    c.mfu = select.column_double(5);
    c.usd_per_hour = select.column_double(6);
    c.usd_per_million_tokens = select.column_double(7);
    c.price_source = select.column_text(8);
    c.price_date = select.column_text(9);
    c.stated_error = select.column_text(10);
    costs.push_back(std::move(c));
  }
  return costs;
}

Expected<std::string> HistoryDb::integrity_check() const {
  // integrity_check: the file's structure; foreign_key_check: no row refers to a missing run or measurement.
  std::string findings;
  for (const char* pragma : {"PRAGMA integrity_check", "PRAGMA foreign_key_check"}) {
    TB_ASSIGN_OR_RETURN(Statement check, impl_->db.prepare(pragma));
    while (true) {
      TB_ASSIGN_OR_RETURN(const bool row, check.step());
      if (!row) break;
      std::string line = check.column_text(0);
      if (line == "ok") continue;
      if (std::string(pragma) == "PRAGMA foreign_key_check") {
        line = "foreign key: table " + line + " row " + check.column_text(1) + " refers to a missing row of " +
               check.column_text(2);
      }
      findings += (findings.empty() ? "" : "\n") + line;
    }
  }
  return findings.empty() ? std::string("ok") : findings;
}

}  // namespace tb
