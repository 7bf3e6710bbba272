// The history store's import speed (docs/results.md, "History database"):
// 200 synthetic runs x 50 passed problems x 10 samples (10,000 measurements,
// 100,000 samples) recorded into a fresh database, one transaction per run as
// `trainbench history import` does, then read back. The target is under 2 s
// for the recording. The database lives in $TMPDIR (default /tmp): put it on
// the disk that results/ uses to include that disk's fsync cost.
//   history_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "analysis/statistics.h"
#include "history/history_db.h"
#include "report/result_json.h"

namespace {

constexpr int kRuns = 200;
constexpr int kProblems = 50;
constexpr int kSamples = 10;

tb::RunRecord synthetic_run(int run) {
  tb::RunRecord record;
  tb::RunContext& c = record.context;
  c.timestamp_utc = "2026-01-01T00:00:00Z#" + std::to_string(run);  // distinct runs
  c.host_name = "bench";
  c.backend = "cpu";
  c.command_line = "trainbench run --backend cpu --suite nightly";
  c.device.name = "CPU";
  c.device.kind = "cpu";
  c.device.peak_flop_per_s = {{tb::DType::kFp32, 1e12}};
  for (int p = 0; p < kProblems; ++p) {
    tb::ProblemResult r;
    r.problem = "gemm:m=" + std::to_string(64 * (p + 1)) + ",n=1024,k=1024,dtype=fp32";
    r.kernel = "gemm";
    r.dtype = "fp32";
    r.status = tb::ResultStatus::kPassed;
    r.flop = 2.0 * 64 * (p + 1) * 1024 * 1024;
    for (int k = 0; k < kSamples; ++k) r.samples_s.push_back(1e-3 * (1 + (k * 7 + run) % 10 / 100.0));
    r.time_s = tb::summarize(r.samples_s);
    r.flop_per_s = r.flop / r.time_s.median;
    record.results.push_back(std::move(r));
  }
  return record;
}

// This process's directory under $TMPDIR.
std::filesystem::path bench_dir() {
  return std::filesystem::temp_directory_path() / ("tb_history_bench_" + std::to_string(getpid()));
}

// bench_dir(), emptied.
std::filesystem::path fresh_dir() {
  const std::filesystem::path dir = bench_dir();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Records `runs` into a new database at `path`; false (and the error on `state`) on failure.
template <typename NextRun>
bool record_all(benchmark::State& state, const std::string& path, int runs, NextRun next_run) {
  tb::Expected<tb::HistoryDb> db = tb::HistoryDb::open(path, tb::HistoryDb::Mode::kReadWrite);
  if (!db.ok()) {
    state.SkipWithError(db.error().message.c_str());
    return false;
  }
  for (int i = 0; i < runs; ++i) {
    const tb::Expected<tb::RunRecord> run = next_run(i);
    const tb::Expected<tb::RecordOutcome> outcome =
        run.ok() ? db->record(*run, "bench") : tb::Expected<tb::RecordOutcome>(run.error());
    if (!outcome.ok()) {
      state.SkipWithError(outcome.error().message.c_str());
      return false;
    }
  }
  return true;
}

std::vector<tb::RunRecord> synthetic_runs() {
  std::vector<tb::RunRecord> runs;
  for (int run = 0; run < kRuns; ++run) runs.push_back(synthetic_run(run));
  return runs;
}

// Open (create, migrate) + 200 record() calls.
void BM_RecordRuns(benchmark::State& state) {
  const std::vector<tb::RunRecord> runs = synthetic_runs();
  for (auto _ : state) {
    state.PauseTiming();
    const std::string path = (fresh_dir() / "history.db").string();
    state.ResumeTiming();
    if (!record_all(state, path, kRuns, [&](int i) { return tb::Expected<tb::RunRecord>(runs[i]); })) break;
  }
  state.counters["measurements/s"] =
      benchmark::Counter(kRuns * kProblems, benchmark::Counter::kIsIterationInvariantRate);
  std::filesystem::remove_all(bench_dir());
}
BENCHMARK(BM_RecordRuns)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

// What `trainbench history import` does with 200 result files: read and
// validate each (read_result_file), then record it.
void BM_ImportResultFiles(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const std::filesystem::path dir = fresh_dir();
    std::vector<std::string> files;
    for (const tb::RunRecord& run : synthetic_runs()) {
      files.push_back((dir / ("run" + std::to_string(files.size()) + ".json")).string());
      if (!tb::write_result_file(files.back(), run).ok()) state.SkipWithError("cannot write a result file");
    }
    state.ResumeTiming();
    if (!record_all(state, (dir / "history.db").string(), kRuns,
                    [&](int i) { return tb::read_result_file(files[i]); })) {
      break;
    }
  }
  std::filesystem::remove_all(bench_dir());
}
BENCHMARK(BM_ImportResultFiles)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

// Every measurement with its samples read back (measurements_since()).
void BM_ReadAllMeasurements(benchmark::State& state) {
  const std::vector<tb::RunRecord> runs = synthetic_runs();
  const std::string path = (fresh_dir() / "history.db").string();
  if (!record_all(state, path, kRuns, [&](int i) { return tb::Expected<tb::RunRecord>(runs[i]); })) return;
  tb::Expected<tb::HistoryDb> db = tb::HistoryDb::open(path, tb::HistoryDb::Mode::kReadOnly);
  if (!db.ok()) {
    state.SkipWithError(db.error().message.c_str());
    return;
  }
  for (auto _ : state) {
    const tb::Expected<std::vector<tb::HistoryMeasurement>> ms = db->measurements_since();
    if (!ms.ok() || ms->size() != static_cast<std::size_t>(kRuns * kProblems)) state.SkipWithError("wrong count");
    benchmark::DoNotOptimize(ms);
  }
  std::filesystem::remove_all(bench_dir());
}
BENCHMARK(BM_ReadAllMeasurements)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
