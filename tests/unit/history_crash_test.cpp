// kill -9 in the middle of recording a run: the history keeps every run that
// was committed, whole, and nothing of the run being written.
#include <gtest/gtest.h>
#include <signal.h>
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

}  // namespace
