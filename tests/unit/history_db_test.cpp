#include "history/history_db.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/atomic_file.h"
#include "report/result_json.h"
#include "history/history_schema.h"
#include "history/sqlite_handle.h"
#include "history_fixtures.h"
#include "support/temp_dir.h"

namespace {

using tb::HistoryDb;
using Mode = tb::HistoryDb::Mode;

HistoryDb open_or_die(const std::string& path, Mode mode = Mode::kReadWrite) {
  tb::Expected<HistoryDb> db = HistoryDb::open(path, mode);
  EXPECT_TRUE(db.ok()) << db.error().message;
  return std::move(db).value();
}

std::string bytes_of(const std::string& path) {
  const tb::Expected<std::string> bytes = tb::read_file(path);
  EXPECT_TRUE(bytes.ok()) << path;
  return bytes.ok() ? *bytes : std::string();
}

tb::CostRow cost_row(const std::string& label, const std::string& provenance, std::optional<double> usd_per_hour) {
  tb::CostRow row;
  row.label = label;
  row.provenance = provenance;
  row.settings = "tp=1 dp=8";
  row.figures.tokens_per_s_instance = 12345.5;
  row.figures.mfu = 0.41;
  row.figures.usd_per_million_tokens = 0.75;
  row.price.usd_per_hour = usd_per_hour;
  row.price.pricing = "on-demand";
  row.price.source = usd_per_hour ? "aws price list" : "";
  row.price.date = usd_per_hour ? "2026-11-01" : "";
  if (provenance == "projected") {
    row.stated_error.device_class = "Trainium";
    row.stated_error.mean_abs_error = 0.089;
    row.stated_error.runs = 5;
  }
  return row;
}

TEST(HistoryDb, RecordsARunAndReadsBackEveryField) {
  tbtest::TempDir dir;
  const std::string path = dir.file("sub/history.db");  // the directory is created
  HistoryDb db = open_or_die(path);
  EXPECT_EQ(db.schema_version(), tb::kHistorySchemaVersion);
  EXPECT_EQ(db.path(), path);

  tb::RunRecord record = tbtest::sample_run("2026-11-25T21:39:08Z");
  record.context.device.properties.emplace_back("instance_type", "trn1.32xlarge");
  record.model_run.emplace();
  record.model_run->comparison = {cost_row("this machine (AMD EPYC 9R14)", "measured", std::nullopt),
                                  cost_row("trn1.32xlarge", "projected", 21.5)};
  const tb::Expected<tb::RecordOutcome> outcome = db.record(record, "results/a.json");
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_FALSE(outcome->already_present);

  const tb::Expected<tb::HistoryRun> run = db.run(outcome->run_id);
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ(run->id, outcome->run_id);
  EXPECT_EQ(run->timestamp_utc, "2026-11-25T21:39:08Z");
  EXPECT_EQ(run->host, "nightly-1");
  EXPECT_EQ(run->backend, "cpu");
  EXPECT_EQ(run->device, "AMD EPYC 9R14");
  EXPECT_EQ(run->device_kind, "cpu");
  EXPECT_EQ(run->instance, "trn1.32xlarge");
  EXPECT_EQ(run->git_commit, "0123456789ab");
  EXPECT_EQ(run->trainbench_version, "0.1.0");
  EXPECT_EQ(run->command_line, "trainbench run --backend cpu --suite nightly");
  EXPECT_EQ(run->environment_json, tb::to_json(record)["context"].dump());
  EXPECT_EQ(run->source, "results/a.json");
  EXPECT_EQ(run->peak_flop_per_s, (std::map<std::string, double>{{"bf16", 4e12}, {"fp32", 1e12}}));
  EXPECT_EQ(run->memory_bandwidth_bytes_per_s, 3.5e11);
  EXPECT_EQ(run->measurement_count, 3);

  const tb::Expected<std::vector<tb::HistoryMeasurement>> ms = db.measurements(outcome->run_id);
  ASSERT_TRUE(ms.ok()) << ms.error().message;
  ASSERT_EQ(ms->size(), record.results.size());
  for (std::size_t i = 0; i < ms->size(); ++i) {
    const tb::HistoryMeasurement& m = (*ms)[i];
    const tb::ProblemResult& r = record.results[i];
    SCOPED_TRACE(r.problem);
    EXPECT_EQ(m.run_id, outcome->run_id);
    EXPECT_EQ(m.problem, r.problem);
    EXPECT_EQ(m.kernel, r.kernel);
    EXPECT_EQ(m.dtype, r.dtype);
    EXPECT_EQ(m.status, tb::status_name(r.status));
    EXPECT_EQ(m.provenance, r.provenance);
    EXPECT_EQ(m.flop, r.flop);
    EXPECT_EQ(m.min_bytes, r.min_bytes);
    EXPECT_EQ(m.samples_s, r.samples_s);  // bit for bit, in repetition order
    EXPECT_EQ(m.median_s, r.time_s.median);
    EXPECT_EQ(m.p10_s, r.time_s.p10);
    EXPECT_EQ(m.p90_s, r.time_s.p90);
    EXPECT_EQ(m.cv, r.time_s.cv);
    EXPECT_EQ(m.flop_per_s, r.flop_per_s);
    EXPECT_EQ(m.bytes_per_s, r.bytes_per_s);
    EXPECT_EQ(m.fraction_of_peak, r.fraction_of_peak);
  }
  EXPECT_EQ((*ms)[2].status, "skipped");
  EXPECT_TRUE((*ms)[2].samples_s.empty());

  const tb::Expected<std::vector<tb::HistoryCost>> costs = db.costs(outcome->run_id);
  ASSERT_TRUE(costs.ok()) << costs.error().message;
  ASSERT_EQ(costs->size(), 2u);
  const tb::HistoryCost& measured = (*costs)[0];
  EXPECT_EQ(measured.run_id, outcome->run_id);
  EXPECT_EQ(measured.label, "this machine (AMD EPYC 9R14)");
  EXPECT_EQ(measured.provenance, "measured");
  EXPECT_EQ(measured.settings, "tp=1 dp=8");
  EXPECT_EQ(measured.pricing, "on-demand");
  EXPECT_EQ(measured.tokens_per_s_instance, 12345.5);
  EXPECT_EQ(measured.mfu, 0.41);
  EXPECT_EQ(measured.usd_per_hour, 0.0);            // unpriced
  EXPECT_EQ(measured.usd_per_million_tokens, 0.0);  // meaningless without a price
  const tb::HistoryCost& projected = (*costs)[1];
  EXPECT_EQ(projected.label, "trn1.32xlarge");
  EXPECT_EQ(projected.provenance, "projected");
  EXPECT_EQ(projected.usd_per_hour, 21.5);
  EXPECT_EQ(projected.usd_per_million_tokens, 0.75);
  EXPECT_EQ(projected.price_source, "aws price list");
  EXPECT_EQ(projected.price_date, "2026-11-01");
  EXPECT_EQ(measured.stated_error, "");
  EXPECT_EQ(projected.stated_error, "+/-9% (leave-one-out mean absolute error over 5 published runs on Trainium)");

  const tb::Expected<std::string> integrity = db.integrity_check();
  ASSERT_TRUE(integrity.ok()) << integrity.error().message;
  EXPECT_EQ(*integrity, "ok");

  // Read back through a second, read-only connection.
  HistoryDb reader = open_or_die(path, Mode::kReadOnly);
  const tb::Expected<std::vector<tb::HistoryMeasurement>> again = reader.measurements_since();
  ASSERT_TRUE(again.ok()) << again.error().message;
  ASSERT_EQ(again->size(), 3u);
  EXPECT_EQ((*again)[0].samples_s, record.results[0].samples_s);
  const tb::Expected<tb::RecordOutcome> refused = reader.record(record, "run");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, path + " was opened read-only; cannot record a run into it");
}

TEST(HistoryDb, ReadsReadOnlyOnceEveryWriterHasClosed) {
  tbtest::TempDir dir;
  const std::string path = dir.file("history.db");
  {
    HistoryDb db = open_or_die(path);
    ASSERT_TRUE(db.record(tbtest::sample_run("2026-11-25T21:39:08Z"), "run").ok());
  }
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));  // checkpointed on close
  const std::string before = bytes_of(path);
  {
    HistoryDb reader = open_or_die(path, Mode::kReadOnly);
    EXPECT_EQ(reader.schema_version(), tb::kHistorySchemaVersion);
    const tb::Expected<std::vector<tb::HistoryRun>> runs = reader.runs();
    ASSERT_TRUE(runs.ok()) << runs.error().message;
    EXPECT_EQ(runs->size(), 1u);
  }
  EXPECT_EQ(bytes_of(path), before);
}

TEST(HistoryDb, InstanceComesFromTheProjectedDeviceAndIsEmptyOtherwise) {
  tbtest::TempDir dir;
  HistoryDb db = open_or_die(dir.file("history.db"));
  tb::RunRecord plain = tbtest::sample_run("2026-11-25T21:39:08Z");
  tb::RunRecord projected = tbtest::sample_run("2026-11-25T21:40:00Z");
  projected.context.backend = "projected";
  projected.context.device.properties = {{"instance", "p5.48xlarge"}, {"accelerator", "H100"}};
  const tb::Expected<tb::RecordOutcome> a = db.record(plain, "run");
  const tb::Expected<tb::RecordOutcome> b = db.record(projected, "run");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(db.run(a->run_id)->instance, "");
  EXPECT_EQ(db.run(b->run_id)->instance, "p5.48xlarge");
  EXPECT_TRUE(db.costs(a->run_id)->empty());
}

TEST(HistoryDb, TheSameRunTwiceIsAlreadyPresent) {
  tbtest::TempDir dir;
  HistoryDb db = open_or_die(dir.file("history.db"));
  const tb::RunRecord record = tbtest::sample_run("2026-11-25T21:39:08Z");
  const tb::Expected<tb::RecordOutcome> first = db.record(record, "results/a.json");
  const tb::Expected<tb::RecordOutcome> second = db.record(record, "results/a-copy.json");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(first->already_present);
  EXPECT_TRUE(second->already_present);
  EXPECT_EQ(second->run_id, first->run_id);
  EXPECT_EQ(db.runs()->size(), 1u);
  EXPECT_EQ(db.measurements_since()->size(), 3u);
  EXPECT_EQ(db.run(first->run_id)->source, "results/a.json");

  // A different command line at the same time and host is another run.
  tb::RunRecord other = record;
  other.context.command_line += " --repetitions 5";
  const tb::Expected<tb::RecordOutcome> third = db.record(other, "run");
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->already_present);
  EXPECT_NE(third->run_id, first->run_id);
}

TEST(HistoryDb, RunsSinceAndLatestRun) {
  tbtest::TempDir dir;
  HistoryDb db = open_or_die(dir.file("history.db"));
  const tb::Expected<std::optional<tb::HistoryRun>> none = db.latest_run();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  // Recorded out of time order: reads are oldest first by timestamp.
  for (const char* time : {"2026-11-03T01:00:00Z", "2026-11-01T01:00:00Z", "2026-11-02T01:00:00Z"}) {
    ASSERT_TRUE(db.record(tbtest::sample_run(time), "run").ok());
  }
  const tb::Expected<std::vector<tb::HistoryRun>> all = db.runs();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].timestamp_utc, "2026-11-01T01:00:00Z");
  EXPECT_EQ((*all)[2].timestamp_utc, "2026-11-03T01:00:00Z");

  for (const char* since : {"2026-11-02", "2026-11-02T01:00:00Z"}) {
    const tb::Expected<std::vector<tb::HistoryRun>> recent = db.runs(since);
    ASSERT_TRUE(recent.ok()) << recent.error().message;
    ASSERT_EQ(recent->size(), 2u) << since;
    EXPECT_EQ((*recent)[0].timestamp_utc, "2026-11-02T01:00:00Z");
    const tb::Expected<std::vector<tb::HistoryMeasurement>> ms = db.measurements_since(since);
    ASSERT_TRUE(ms.ok());
    ASSERT_EQ(ms->size(), 6u);
    EXPECT_EQ((*ms)[0].run_id, (*recent)[0].id);
    EXPECT_EQ((*ms)[5].run_id, (*recent)[1].id);
  }
  EXPECT_TRUE(db.runs("2026-12-01")->empty());

  const tb::Expected<std::optional<tb::HistoryRun>> latest = db.latest_run();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->timestamp_utc, "2026-11-03T01:00:00Z");
  EXPECT_EQ((*latest)->measurement_count, 3);

  const tb::Expected<std::vector<tb::HistoryRun>> bad = db.runs("yesterday");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, tb::ErrorCode::kBadInput);
  EXPECT_EQ(bad.error().message,
            "since time 'yesterday' is not an ISO 8601 UTC time (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
  const tb::Expected<tb::HistoryRun> missing = db.run(99);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "no run with id 99 in the history " + db.path());
}

TEST(HistoryDb, ANewerSchemaVersionIsRefusedAndLeftUnchanged) {
  tbtest::TempDir dir;
  const std::string path = dir.file("history.db");
  {
    HistoryDb db = open_or_die(path);
    ASSERT_TRUE(db.record(tbtest::sample_run("2026-11-25T21:39:08Z"), "run").ok());
  }
  {
    tb::Expected<tb::sqlite::Database> raw = tb::sqlite::Database::open(path, tb::sqlite::Database::Access::kReadWrite);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(raw->exec("PRAGMA user_version = 7").ok());
  }
  const std::string before = bytes_of(path);
  for (const Mode mode : {Mode::kReadWrite, Mode::kReadOnly}) {
    const tb::Expected<HistoryDb> db = HistoryDb::open(path, mode);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, tb::ErrorCode::kBadInput);
    EXPECT_EQ(db.error().message, path + " has history schema version 7, newer than this trainbench reads (4); use a "
                                         "newer trainbench or another --db");
  }
  EXPECT_EQ(bytes_of(path), before);
}

TEST(HistoryDb, AFileThatIsNotADatabaseIsRefusedAndLeftUnchanged) {
  tbtest::TempDir dir;
  std::string long_garbage;
  for (int i = 0; i < 3000; ++i) long_garbage += "not sqlite " + std::to_string(i) + "\n";
  for (const std::string& content : {std::string("hello, world\n"), long_garbage}) {
    const std::string path = dir.write("garbage.db", content);
    for (const Mode mode : {Mode::kReadWrite, Mode::kReadOnly}) {
      const tb::Expected<HistoryDb> db = HistoryDb::open(path, mode);
      ASSERT_FALSE(db.ok());
      EXPECT_EQ(db.error().code, tb::ErrorCode::kBadInput);
      EXPECT_EQ(db.error().message, path + " is not a trainbench history database (SQLite: file is not a database); "
                                           "it was left unchanged");
      EXPECT_EQ(bytes_of(path), content);
      EXPECT_EQ(dir.entries(), std::vector<std::string>{"garbage.db"});  // no journal left behind
    }
  }
}

TEST(HistoryDb, ACorruptHistoryIsRefusedAndLeftUnchanged) {
  tbtest::TempDir dir;
  const std::string path = dir.file("history.db");
  {
    HistoryDb db = open_or_die(path);
    ASSERT_TRUE(db.record(tbtest::sample_run("2026-11-25T21:39:08Z"), "run").ok());
  }
  // Keep the 100-byte file header, overwrite the rest of page 1 (the schema).
  std::string bytes = bytes_of(path);
  ASSERT_GT(bytes.size(), 4096u);
  for (std::size_t i = 100; i < 4096; ++i) bytes[i] = static_cast<char>(0xa5 ^ i);
  dir.write("history.db", bytes);
  for (const Mode mode : {Mode::kReadWrite, Mode::kReadOnly}) {
    const tb::Expected<HistoryDb> db = HistoryDb::open(path, mode);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, tb::ErrorCode::kBadInput);
    EXPECT_EQ(db.error().message, path + " is a corrupt SQLite database (SQLite: database disk image is malformed); "
                                         "it was left unchanged: restore it from a backup or use another --db");
    EXPECT_EQ(bytes_of(path), bytes);
    // The file is in WAL mode: SQLite may leave an empty log beside it, with nothing written.
    if (std::filesystem::exists(path + "-wal")) {
      EXPECT_EQ(std::filesystem::file_size(path + "-wal"), 0u);
    }
  }
}

TEST(HistoryDb, AnSqliteDatabaseThatIsNotAHistoryIsRefused) {
  tbtest::TempDir dir;
  const std::string path = dir.file("other.db");
  {
    tb::Expected<tb::sqlite::Database> raw =
        tb::sqlite::Database::open(path, tb::sqlite::Database::Access::kReadWriteCreate);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(
        raw->exec("CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO runs VALUES (1, 'x')").ok());
  }
  const std::string before = bytes_of(path);
  for (const Mode mode : {Mode::kReadWrite, Mode::kReadOnly}) {
    const tb::Expected<HistoryDb> db = HistoryDb::open(path, mode);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, tb::ErrorCode::kBadInput);
    EXPECT_EQ(db.error().message, path + " is an SQLite database but not a trainbench history database "
                                         "(application_id 0, expected 1413630001); it was left unchanged");
  }
  EXPECT_EQ(bytes_of(path), before);
}

TEST(HistoryDb, AnEmptyFileBecomesAHistoryReadWriteButIsRefusedReadOnly) {
  tbtest::TempDir dir;
  const std::string path = dir.write("history.db", "");
  const tb::Expected<HistoryDb> reader = HistoryDb::open(path, Mode::kReadOnly);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().message, path + " is an empty SQLite database, not a trainbench history yet; create one "
                                           "with `trainbench run --db " + path + "` or `trainbench history import "
                                           "--db " + path + " FILE`");
  EXPECT_EQ(open_or_die(path).schema_version(), tb::kHistorySchemaVersion);
}

TEST(HistoryDb, ReadOnlyOpenOfAMissingFileSaysHowToCreateOne) {
  tbtest::TempDir dir;
  const std::string path = dir.file("missing.db");
  const tb::Expected<HistoryDb> db = HistoryDb::open(path, Mode::kReadOnly);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, tb::ErrorCode::kBadInput);
  EXPECT_EQ(db.error().message, path + " does not exist, so there is no history to read; create one with "
                                       "`trainbench run --db " + path + "` or `trainbench history import --db " +
                                       path + " FILE`");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(HistoryDb, MigratesAVersion1DatabaseKeepingItsData) {
  tbtest::TempDir dir;
  const std::string path = dir.file("history.db");
  {
    tb::Expected<tb::sqlite::Database> raw =
        tb::sqlite::Database::open(path, tb::sqlite::Database::Access::kReadWriteCreate);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(tb::history::migrate(*raw, 1).ok());
    ASSERT_TRUE(raw->exec(R"sql(
INSERT INTO runs VALUES (1, '2026-10-01T00:00:00Z', 'h', 'cpu', 'dev', 'cpu', '', 'abc', '0.1.0', 'trainbench run',
                         '{}', 'old.json', 0);
INSERT INTO peaks VALUES (1, 'fp32', 1e12);
INSERT INTO measurements VALUES (1, 1, 0, 'gemm:m=8,n=8,k=8,dtype=fp32', 'gemm', 'fp32', 'passed', 'measured',
                                 1024, 768, 2e-3, 1e-3, 3e-3, 0.1, 5.12e5, 3.84e5, -1);
INSERT INTO samples VALUES (1, 0, 3e-3), (1, 1, 1e-3), (1, 2, 2e-3);
)sql").ok());
    EXPECT_EQ(*raw->query_int("PRAGMA user_version"), 1);
  }
  {
    // A version-1 history reads without migration (no costs table: no cost rows).
    HistoryDb reader = open_or_die(path, Mode::kReadOnly);
    EXPECT_EQ(reader.schema_version(), 1);
    EXPECT_TRUE(reader.costs(1)->empty());
  }
  HistoryDb db = open_or_die(path);
  EXPECT_EQ(db.schema_version(), 4);
  const tb::Expected<std::vector<tb::HistoryRun>> runs = db.runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].source, "old.json");
  EXPECT_EQ((*runs)[0].peak_flop_per_s.at("fp32"), 1e12);
  const tb::Expected<std::vector<tb::HistoryMeasurement>> ms = db.measurements(1);
  ASSERT_TRUE(ms.ok());
  ASSERT_EQ(ms->size(), 1u);
  EXPECT_EQ((*ms)[0].samples_s, (std::vector<double>{3e-3, 1e-3, 2e-3}));
  EXPECT_EQ((*ms)[0].peak_dtype, "") << "not recorded before version 4";
  EXPECT_TRUE(db.costs(1)->empty());
  EXPECT_FALSE(db.model_run(1)->has_value());
  // The new version's table is usable.
  ASSERT_TRUE(db.record(tbtest::sample_run("2026-11-25T21:39:08Z"), "run").ok());
  EXPECT_EQ(*db.integrity_check(), "ok");
}

// Version 4: the peak each measurement was compared with, and each model run with why it has no cost.
TEST(HistoryDb, RecordsThePeakDtypeAndTheModelRunWithWhyItHasNoCost) {
  tbtest::TempDir dir;
  HistoryDb db = open_or_die(dir.file("h.db"));
  tb::RunRecord record = tbtest::sample_run("2026-11-25T21:39:08Z");
  record.results[0].peak_dtype = "fp32";
  record.results[0].dtype = "bf16";
  record.model_run.emplace();
  record.model_run->model.name = "llama3.2-1b";
  record.model_run->comparison_error = "attention:b=1,...: skipped: no fused attention on this backend";
  const tb::Expected<tb::RecordOutcome> outcome = db.record(record, "run");
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  const tb::Expected<std::vector<tb::HistoryMeasurement>> ms = db.measurements(outcome->run_id);
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ((*ms)[0].peak_dtype, "fp32");
  const tb::Expected<std::optional<tb::HistoryModelRun>> model = db.model_run(outcome->run_id);
  ASSERT_TRUE(model.ok() && model->has_value());
  EXPECT_EQ((*model)->model, "llama3.2-1b");
  EXPECT_EQ((*model)->no_cost_reason, record.model_run->comparison_error);
  // A run that is not a model run has none.
  const tb::Expected<tb::RecordOutcome> plain = db.record(tbtest::sample_run("2026-11-26T21:39:08Z"), "run");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(db.model_run(plain->run_id)->has_value());
}

TEST(HistoryDb, MigrateRefusesAVersionThatDoesNotExist) {
  tbtest::TempDir dir;
  tb::Expected<tb::sqlite::Database> raw =
      tb::sqlite::Database::open(dir.file("h.db"), tb::sqlite::Database::Access::kReadWriteCreate);
  ASSERT_TRUE(raw.ok());
  const tb::Status status = tb::history::migrate(*raw, 5);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "history schema version 5 does not exist (expected 1 to 4)");
}

}  // namespace
