// kill -9 in the middle of recording a run: the history keeps every run that
// was committed, whole, and nothing of the run being written.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "history/history_db.h"
#include "history/history_schema.h"
#include "history_fixtures.h"
#include "support/temp_dir.h"

namespace {

constexpr int kProblemsPerRun = 20;
constexpr int kHugeProblems = 3000;  // x 100 samples: more than SQLite's 2 MB page cache, so pages spill to the file
constexpr int kHugeSamples = 100;

std::string time_of(int run) {
  char text[32];
  std::snprintf(text, sizeof text, "2026-11-25T00:00:%02dZ", run);
  return text;
}

tb::RunRecord huge_run(int run) {
  tb::RunRecord record = tbtest::sample_run(time_of(run), kHugeProblems);
  for (tb::ProblemResult& r : record.results) {
    if (r.samples_s.empty()) continue;
    r.samples_s.clear();
    for (int k = 0; k < kHugeSamples; ++k) r.samples_s.push_back(1e-3 * (1 + k % 7 / 10.0));
  }
  return record;
}

// The child: records `completed` ordinary runs, then a huge one, and stops
// for good inside its transaction after measurement `kill_index`, telling the
// parent through `ready`. Exit codes only (no gtest in the child).
[[noreturn]] void write_until_killed(const std::string& path, int completed, int kill_index, int ready) {
  tb::history::set_after_measurement_hook([=](std::int64_t run_id, int index) {
    if (run_id != completed + 1 || index != kill_index) return;
    if (write(ready, "x", 1) != 1) _exit(4);
    for (;;) pause();
  });
  tb::Expected<tb::HistoryDb> db = tb::HistoryDb::open(path, tb::HistoryDb::Mode::kReadWrite);
  if (!db.ok()) _exit(2);
  for (int run = 0; run < completed; ++run) {
    if (!db->record(tbtest::sample_run(time_of(run), kProblemsPerRun), "run").ok()) _exit(3);
  }
  (void)db->record(huge_run(completed), "run");
  _exit(5);  // the hook never fired
}

struct CrashCase {
  int completed_runs;  // committed before the killed one
  int kill_index;      // measurement of the killed run after which the kill comes
  bool spilled;        // the killed transaction has already written pages into the write-ahead log
};

class HistoryCrash : public testing::TestWithParam<CrashCase> {};

TEST_P(HistoryCrash, AKilledWriterLeavesWholeRunsAndNothingOfTheRunBeingWritten) {
  const CrashCase c = GetParam();
  tbtest::TempDir dir;
  const std::string path = dir.file("history.db");
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    write_until_killed(path, c.completed_runs, c.kill_index, pipe_fds[1]);
  }
  close(pipe_fds[1]);
  char byte = 0;
  const ssize_t got = read(pipe_fds[0], &byte, 1);
  close(pipe_fds[0]);
  // The child is stopped inside its transaction; pages it has spilled are
  // uncommitted frames in the write-ahead log.
  const std::string wal = path + "-wal";
  const auto wal_at_kill = std::filesystem::exists(wal) ? std::filesystem::file_size(wal) : 0;
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_EQ(got, 1) << "the child exited with " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  if (c.spilled) {
    EXPECT_GT(wal_at_kill, 4'000'000u);  // the killed run's spilled pages were in the log
  }

  {
    // What `history list` does next: a read-only open sees the committed runs only.
    tb::Expected<tb::HistoryDb> reader = tb::HistoryDb::open(path, tb::HistoryDb::Mode::kReadOnly);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    const tb::Expected<std::vector<tb::HistoryRun>> runs = reader->runs();
    ASSERT_TRUE(runs.ok()) << runs.error().message;
    EXPECT_EQ(runs->size(), static_cast<std::size_t>(c.completed_runs));
  }
  tb::Expected<tb::HistoryDb> db = tb::HistoryDb::open(path, tb::HistoryDb::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.error().message;
  const tb::Expected<std::string> integrity = db->integrity_check();
  ASSERT_TRUE(integrity.ok()) << integrity.error().message;
  EXPECT_EQ(*integrity, "ok");

  const tb::Expected<std::vector<tb::HistoryRun>> runs = db->runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), static_cast<std::size_t>(c.completed_runs));
  const tb::Expected<std::vector<tb::HistoryMeasurement>> ms = db->measurements_since();
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ(ms->size(), static_cast<std::size_t>(c.completed_runs * (kProblemsPerRun + 1)));
  for (const tb::HistoryRun& run : *runs) {
    EXPECT_NE(run.timestamp_utc, time_of(c.completed_runs));
    EXPECT_EQ(run.measurement_count, kProblemsPerRun + 1);
  }
  for (const tb::HistoryMeasurement& m : *ms) {
    EXPECT_EQ(m.samples_s.size(), m.status == "passed" ? 4u : 0u) << m.problem;
  }
  // The killed run can be recorded again, whole.
  const tb::Expected<tb::RecordOutcome> again =
      db->record(tbtest::sample_run(time_of(c.completed_runs), kProblemsPerRun), "run");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->already_present);
  EXPECT_EQ(*db->integrity_check(), "ok");
}

INSTANTIATE_TEST_SUITE_P(HistoryKillPoints, HistoryCrash,
                         testing::Values(CrashCase{0, 0, false}, CrashCase{1, 10, false},
                                         CrashCase{2, kHugeProblems / 2, false},
                                         CrashCase{3, kHugeProblems - 1, true}));

// A history with `runs` runs, then a writer in rollback-journal mode (as an
// older trainbench or the sqlite3 shell) killed mid-transaction after it has
// spilled changed pages into the file: PATH-journal is left hot.
void leave_a_hot_journal(const std::string& path, int runs) {
  {
    tb::Expected<tb::HistoryDb> db = tb::HistoryDb::open(path, tb::HistoryDb::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.error().message;
    for (int run = 0; run < runs; ++run) ASSERT_TRUE(db->record(tbtest::sample_run(time_of(run), 50), "run").ok());
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) _exit(2);
    const char* sql =
        "PRAGMA journal_mode = DELETE; PRAGMA cache_size = 1; BEGIN IMMEDIATE; DELETE FROM samples; "
        "UPDATE runs SET host = host || 'x';";
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) _exit(3);
    kill(getpid(), SIGKILL);  // no ROLLBACK, no close
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child exited with " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  ASSERT_TRUE(std::filesystem::exists(path + "-journal"));
  // The premise: SQLite itself refuses to read it read-only.
  sqlite3* raw = nullptr;
  sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_extended_result_codes(raw, 1);
  EXPECT_EQ(sqlite3_exec(raw, "SELECT count(*) FROM runs", nullptr, nullptr, nullptr), SQLITE_READONLY_ROLLBACK);
  sqlite3_close(raw);
}

TEST(HistoryHotJournal, AReadOnlyOpenRollsBackAWriterKilledMidTransaction) {
  tbtest::TempDir dir;
  const std::string path = dir.file("history.db");
  ASSERT_NO_FATAL_FAILURE(leave_a_hot_journal(path, 2));
  tb::Expected<tb::HistoryDb> reader = tb::HistoryDb::open(path, tb::HistoryDb::Mode::kReadOnly);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_FALSE(std::filesystem::exists(path + "-journal"));
  EXPECT_EQ(*reader->integrity_check(), "ok");
  const tb::Expected<std::vector<tb::HistoryRun>> runs = reader->runs();
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  ASSERT_EQ(runs->size(), 2u);
  const tb::Expected<std::vector<tb::HistoryMeasurement>> ms = reader->measurements_since();
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ(ms->size(), 2u * 51u);
  for (const tb::HistoryMeasurement& m : *ms) {
    EXPECT_EQ(m.samples_s.size(), m.status == "passed" ? 4u : 0u) << m.problem;
  }
  for (const tb::HistoryRun& run : *runs) EXPECT_EQ(run.host, "nightly-1");  // the killed UPDATE is undone
}

TEST(HistoryHotJournal, WithoutWriteAccessTheReadOnlyOpenSaysWhatToDo) {
  if (geteuid() == 0) GTEST_SKIP() << "root can write a read-only file";
  tbtest::TempDir dir;
  const std::string path = dir.file("history.db");
  ASSERT_NO_FATAL_FAILURE(leave_a_hot_journal(path, 1));
  ASSERT_EQ(chmod(path.c_str(), 0444), 0);
  const tb::Expected<tb::HistoryDb> reader = tb::HistoryDb::open(path, tb::HistoryDb::Mode::kReadOnly);
  chmod(path.c_str(), 0644);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().code, tb::ErrorCode::kBadInput);
  EXPECT_NE(reader.error().message.find(path + "-journal"), std::string::npos) << reader.error().message;
  EXPECT_NE(reader.error().message.find("as a user who can write"), std::string::npos) << reader.error().message;
  EXPECT_TRUE(std::filesystem::exists(path + "-journal"));
}

}  // namespace
