// End-to-end tests of nightly tracking: `trainbench run --db`, `history
// import|list`, `compare`, `regressions` and `report` (docs/nightly.md).
// Series are made from one real result file whose samples are scaled, so
// every run in them is a file trainbench itself wrote, with a known change.
//
// Filter: --gtest_filter='History*:Compare*:Regressions*:Report*'.
#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_support.h"
#include "support/chromium.h"

namespace tbtest {
namespace {

// Two problems, 5 repetitions: enough samples for the U test (5 vs 5 gives p >= 0.008).
const std::vector<std::string> kFiveReps = {"--problem", "gemm:m=32,n=16,k=8", "--problem", "gemm:m=16,n=16,k=16",
                                            "--repetitions", "5", "--min-time", "0.005", "--warmup-time", "0"};

// `doc` with every time multiplied by `factor` (throughputs divided), as run
// `index` of a nightly series: its own timestamp (one day apart) and commit.
// The repetition samples become median x (1, 1.001, 1.002, ...): a tight,
// known spread, so that the U test's verdicts do not depend on how noisy the
// machine was when the template ran.
json as_night(json doc, double factor, int index) {
  for (json& r : doc["results"]) {
    if (r["status"] != "passed") continue;
    const double median = r["time_s"]["median"].get<double>();
    for (std::size_t i = 0; i < r["samples_s"].size(); ++i) r["samples_s"][i] = median * (1.0 + 0.001 * i) * factor;
    for (const char* f : {"median", "mean", "min", "max", "p10", "p90", "stddev"}) {
      r["time_s"][f] = r["time_s"][f].get<double>() * factor;
    }
    for (const char* f : {"flop_per_s", "bytes_per_s"}) r[f] = r[f].get<double>() / factor;
  }
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "2026-%02d-%02dT03:00:00Z", 9 + index / 28, 1 + index % 28);
  doc["context"]["trainbench"]["timestamp_utc"] = stamp;
  doc["context"]["trainbench"]["git_commit"] = "c" + std::to_string(1000 + index);
  return doc;
}

// SQLite opened directly (read-only), for what the CLI does not show.
class RawDb {
 public:
  explicit RawDb(const fs::path& path) { sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr); }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  // The first column of every row of `sql`, as text.
  std::vector<std::string> column(const std::string& sql) const {
    std::vector<std::string> out;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(st, 0);
      out.push_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

void exec_sql(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK) << (message ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
}

class History : public CliTest {
 protected:
  // A real result file of kFiveReps (written once per test) as JSON.
  json base_doc() {
    if (base_.is_null()) {
      std::vector<std::string> args = {"run", "--out", (dir_ / "base").string()};
      args.insert(args.end(), kFiveReps.begin(), kFiveReps.end());
      const ProcessResult r = trainbench(args);
      EXPECT_TRUE(exited_with(r, 0));
      const std::vector<fs::path> files = json_files(dir_ / "base");
      EXPECT_EQ(files.size(), 1u);
      base_ = files.empty() ? json::object() : read_json(files.front());
    }
    return base_;
  }
  // Nights 0..n-1 of the base run: time x (1 + noise N(0, 1)) x (step_factor from night `step_at` on).
  std::vector<std::string> write_series(int n, double noise, int step_at, double step_factor, unsigned seed = 7) {
    std::mt19937 gen(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<std::string> paths;
    const json base = base_doc();
    fs::create_directories(dir_ / "nights");
    for (int i = 0; i < n; ++i) {
      const double factor = (1.0 + noise * normal(gen)) * (i >= step_at ? step_factor : 1.0);
      const fs::path path = dir_ / "nights" / ("night" + std::to_string(i) + ".json");
      write_text(path, as_night(base, factor, i).dump());
      paths.push_back(path.string());
    }
    return paths;
  }
  ProcessResult import(const std::vector<std::string>& files) const {
    std::vector<std::string> args = {"history", "import", "--db", db().string()};
    args.insert(args.end(), files.begin(), files.end());
    return trainbench(args);
  }
  fs::path db() const { return dir_ / "h.db"; }

  json base_;
};
using Compare = History;
using Regressions = History;
using Report = History;

TEST_F(History, RunRecordsIntoTheDatabaseAndListShowsIt) {
  std::vector<std::string> args = {"run", "--out", out_.string(), "--db", db().string()};
  args.insert(args.end(), kFiveReps.begin(), kFiveReps.end());
  const ProcessResult r = trainbench(args);
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_NE(r.out.find("history: run 1 in " + db().string()), std::string::npos) << r.out;
  const ProcessResult list = trainbench({"history", "list", "--db", db().string(), "--format", "json"});
  ASSERT_TRUE(exited_with(list, 0));
  const json runs = json::parse(list.out);
  ASSERT_EQ(runs.size(), 1u) << list.out;
  EXPECT_EQ(runs[0]["run_id"], 1);
  EXPECT_EQ(runs[0]["backend"], "cpu");
  EXPECT_EQ(runs[0]["problem_count"], 2);
  EXPECT_EQ(runs[0]["source"], "run");
  // Every sample of the result file is in the database.
  const json doc = read_json(json_files(out_).front());
  RawDb raw(db());
  const std::vector<std::string> samples = raw.column("SELECT COUNT(*) FROM samples");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(std::stoi(samples[0]), 10) << "2 problems x 5 repetitions";
  const ProcessResult table = trainbench({"history", "list", "--db", db().string()});
  ASSERT_TRUE(exited_with(table, 0));
  EXPECT_EQ(row_starting(table.out, "id").size(), 3u) << "units row\n" << table.out;
  EXPECT_NE(table.out.find("1 runs in"), std::string::npos) << table.out;
}

TEST_F(History, ImportRecordsEachFileOnceAndSkipsDuplicates) {
  const std::vector<std::string> files = write_series(3, 0.0, 99, 1.0);
  const ProcessResult first = import(files);
  ASSERT_TRUE(exited_with(first, 0));
  EXPECT_NE(first.out.find("3 runs imported, 0 already present"), std::string::npos) << first.out;
  const ProcessResult again = import({files[1]});
  ASSERT_TRUE(exited_with(again, 0));
  EXPECT_NE(again.out.find("already in the history as run 2"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("0 runs imported, 1 already present"), std::string::npos) << again.out;
}

TEST_F(History, ImportOfABadFileRecordsNothing) {
  std::vector<std::string> files = write_series(2, 0.0, 99, 1.0);
  write_text(dir_ / "broken.json", "{\"context\": ");
  files.push_back((dir_ / "broken.json").string());
  expect_bad_input(import(files), {"broken.json"}, false, files_under(dir_));
  EXPECT_FALSE(fs::exists(db())) << "no file was recorded, so no database was created";

  json other = base_doc();
  other["context"]["trainbench"]["schema_version"] = 2;
  write_text(dir_ / "v2.json", other.dump());
  expect_bad_input(import({(dir_ / "v2.json").string()}), {"v2.json", "schema_version"}, false, files_under(dir_));
}

TEST_F(History, ACorruptDatabaseIsRefusedAndLeftUnchanged) {
  const std::string garbage = "this is not an SQLite database, it is a text file\n";
  write_text(db(), garbage);
  const std::vector<std::string> files = write_series(1, 0.0, 99, 1.0);
  const std::vector<fs::path> keep = files_under(dir_);
  expect_bad_input(import(files), {db().string(), "not a trainbench history"}, false, keep);
  expect_bad_input(trainbench({"history", "list", "--db", db().string()}), {db().string()}, false, keep);
  expect_bad_input(trainbench({"regressions", "--db", db().string()}), {db().string()}, false, keep);
  std::vector<std::string> args = {"run", "--out", out_.string(), "--db", db().string()};
  args.insert(args.end(), kQuick.begin(), kQuick.end());
  args.insert(args.end(), {"--problem", "gemm:m=8,n=8,k=8"});
  expect_bad_input(trainbench(args), {db().string()}, false, keep);
  EXPECT_EQ(read_text(db()), garbage);
}

TEST_F(History, ADatabaseFromANewerSchemaIsRefused) {
  ASSERT_TRUE(exited_with(import(write_series(1, 0.0, 99, 1.0)), 0));
  exec_sql(db(), "PRAGMA user_version = 99");
  expect_bad_input(trainbench({"history", "list", "--db", db().string()}), {db().string(), "99"}, false,
                   files_under(dir_));
  expect_bad_input(trainbench({"report", "--db", db().string(), "-o", (dir_ / "r.html").string()}),
                   {db().string(), "99"}, false, files_under(dir_));
}

TEST_F(History, AMissingDatabaseSaysHowToCreateOne) {
  expect_bad_input(trainbench({"history", "list", "--db", db().string()}), {db().string(), "history import"});
  expect_bad_input(trainbench({"regressions", "--db", db().string()}), {db().string()});
}

TEST_F(History, BadWindowsAndThresholdsAreRefused) {
  ASSERT_TRUE(exited_with(import(write_series(1, 0.0, 99, 1.0)), 0));
  const std::vector<fs::path> keep = files_under(dir_);
  expect_bad_input(trainbench({"history", "list", "--db", db().string(), "--since", "30x"}), {"--since", "30x"},
                   false, keep);
  expect_bad_input(trainbench({"regressions", "--db", db().string(), "--since", "2026-13-01"}),
                   {"--since", "2026-13-01"}, false, keep);
  expect_bad_input(trainbench({"regressions", "--db", db().string(), "--threshold", "150%"}),
                   {"--threshold", "150%"}, false, keep);
  expect_bad_input(trainbench({"regressions", "--db", db().string(), "--max-p", "0"}), {"--max-p"}, false, keep);
}

// kill -9 at an arbitrary moment of a long import: the database is intact and
// holds whole runs only; importing again completes it.
TEST_F(History, AnImportKilledMidwayLeavesOnlyWholeRuns) {
  // 2000 runs take about half a second to record here (longer under ASan);
  // the database appears once every file has been read, the kill comes 50 ms later.
  const std::vector<std::string> files = write_series(2000, 0.02, 999, 1.0);
  std::vector<std::string> argv = {kTrainbench, "history", "import", "--db", db().string()};
  argv.insert(argv.end(), files.begin(), files.end());
  ProcessOptions options;
  options.env = child_environment();
  ChildProcess child(argv, options);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(db()) && child.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  child.send_signal(SIGKILL);
  const ProcessResult killed = child.wait();
  ASSERT_TRUE(fs::exists(db())) << killed.describe();
  ASSERT_EQ(killed.term_signal, SIGKILL) << "the import ended before the kill: make the series longer\n"
                                         << killed.describe();
  // The first thing a user does next is read it, read-only.
  const ProcessResult listed = trainbench({"history", "list", "--db", db().string()});
  EXPECT_TRUE(exited_with(listed, 0) || (listed.exit_code == 2 && listed.err.find("empty SQLite database") !=
                                                                      std::string::npos))
      << listed.describe();
  {
    RawDb raw(db());
    EXPECT_EQ(raw.column("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
    // On a loaded machine the kill can land while the schema is being created:
    // then no table exists yet, which is as whole as a history gets.
    if (raw.column("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'samples'") !=
        std::vector<std::string>{"1"}) {
      std::printf("killed before the schema was committed\n");
    } else {
      // Every run recorded has both its problems and all their samples.
      EXPECT_EQ(raw.column("SELECT COUNT(*) FROM runs r WHERE (SELECT COUNT(*) FROM measurements m WHERE m.run_id = r.id)"
                           " != 2"),
                std::vector<std::string>{"0"});
      EXPECT_EQ(raw.column("SELECT COUNT(*) FROM measurements m WHERE (SELECT COUNT(*) FROM samples s WHERE "
                           "s.measurement_id = m.id) != 5"),
                std::vector<std::string>{"0"});
      const int runs = std::stoi(raw.column("SELECT COUNT(*) FROM runs").at(0));
      EXPECT_LT(runs, static_cast<int>(files.size()));
      std::printf("killed after %d of %zu runs\n", runs, files.size());
    }
  }
  const ProcessResult again = import(files);
  ASSERT_TRUE(exited_with(again, 0));
  const json runs = json::parse(trainbench({"history", "list", "--db", db().string(), "--format", "json"}).out);
  EXPECT_EQ(runs.size(), files.size());
}

TEST_F(Compare, ASlowerContenderIsARegressionWithExitStatus1) {
  const std::vector<std::string> files = write_series(2, 0.0, 1, 2.0);
  const ProcessResult r = trainbench({"compare", files[0], files[1]});
  ASSERT_TRUE(exited_with(r, 1));
  const std::vector<std::string> row = row_starting(r.out, "gemm:m=32,n=16,k=8,dtype=fp32");
  ASSERT_FALSE(row.empty()) << r.out;
  EXPECT_EQ(row.back(), "regression") << r.out;
  EXPECT_NE(r.out.find("+100.0"), std::string::npos) << r.out;
  // The other way round it is an improvement, and exit 0.
  const ProcessResult back = trainbench({"compare", files[1], files[0], "--format", "json"});
  ASSERT_TRUE(exited_with(back, 0));
  const json doc = json::parse(back.out);
  EXPECT_EQ(doc.dump().find("\"regression\""), std::string::npos) << back.out;
  EXPECT_NE(doc.dump().find("\"improvement\""), std::string::npos) << back.out;
}

TEST_F(Compare, ASmallChangeBelowTheThresholdIsNotARegression) {
  const std::vector<std::string> files = write_series(2, 0.0, 1, 1.03);
  const ProcessResult r = trainbench({"compare", files[0], files[1]});
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_EQ(r.out.find("regression "), std::string::npos) << r.out;
  // With a 2% threshold the same change counts.
  ASSERT_TRUE(exited_with(trainbench({"compare", files[0], files[1], "--threshold", "2%"}), 1));
}

TEST_F(Compare, RunIdsOfTheHistoryCompareLikeFiles) {
  const std::vector<std::string> files = write_series(2, 0.0, 1, 2.0);
  ASSERT_TRUE(exited_with(import(files), 0));
  const ProcessResult r = trainbench({"compare", "1", "2", "--db", db().string()});
  ASSERT_TRUE(exited_with(r, 1));
  EXPECT_NE(r.out.find("run 1"), std::string::npos) << r.out;
  const std::vector<std::string> row = row_starting(r.out, "gemm:m=32,n=16,k=8,dtype=fp32");
  ASSERT_FALSE(row.empty()) << r.out;
  EXPECT_EQ(row.back(), "regression") << r.out;
  expect_bad_input(trainbench({"compare", "1", "7", "--db", db().string()}), {"7"}, false, files_under(dir_));
}

TEST_F(Compare, BadOperandsAreRefused) {
  const std::vector<std::string> files = write_series(1, 0.0, 99, 1.0);
  const std::vector<fs::path> keep = files_under(dir_);
  expect_bad_input(trainbench({"compare", files[0], "no-such-thing.json"}), {"no-such-thing.json"}, false, keep);
  // No problem in common.
  json other = base_doc();
  for (json& r : other["results"]) r["problem"] = "gemm:m=64,n=64,k=64";
  other["results"].erase(1);
  other["benchmarks"] = json::array();
  write_text(dir_ / "other.json", other.dump());
  expect_bad_input(trainbench({"compare", files[0], (dir_ / "other.json").string()}),
                   {"no problem in common", "other.json"}, false, files_under(dir_));
  expect_bad_input(trainbench({"compare", files[0], files[0], "--threshold", "-1%"}), {"--threshold"}, false,
                   files_under(dir_));
}

TEST_F(Regressions, QuietOnNoiseAndFindsAStepWithItsCommitRange) {
  ASSERT_TRUE(exited_with(import(write_series(30, 0.02, 999, 1.0)), 0));
  const ProcessResult quiet = trainbench({"regressions", "--db", db().string(), "--since", "all"});
  ASSERT_TRUE(exited_with(quiet, 0));
  EXPECT_NE(quiet.out.find("0 change points (0 regressions) in 2 series over 30 runs"), std::string::npos)
      << quiet.out;

  fs::remove(db());
  fs::remove_all(dir_ / "nights");
  ASSERT_TRUE(exited_with(import(write_series(30, 0.02, 17, 1.2)), 0));
  const ProcessResult found = trainbench({"regressions", "--db", db().string(), "--since", "all"});
  ASSERT_TRUE(exited_with(found, 1));
  EXPECT_NE(found.out.find("17..18"), std::string::npos) << "runs are 1-based: night 17 is run 18\n" << found.out;
  EXPECT_NE(found.out.find("c1016..c1017"), std::string::npos) << found.out;
  EXPECT_NE(found.out.find("2 change points (2 regressions)"), std::string::npos) << found.out;
  const ProcessResult json_out =
      trainbench({"regressions", "--db", db().string(), "--since", "all", "--format", "json"});
  ASSERT_TRUE(exited_with(json_out, 1));
  const json doc = json::parse(json_out.out);
  ASSERT_EQ(doc["changes"].size(), 2u);
  for (const json& change : doc["changes"]) {
    EXPECT_EQ(change["index"], 17);
    EXPECT_EQ(change["run_id_before"], 17);
    EXPECT_EQ(change["run_id_after"], 18);
    EXPECT_EQ(change["git_commit_after"], "c1017");
    EXPECT_EQ(change["verdict"], "regression");
  }
  EXPECT_NEAR(doc["changes"][0]["time_change_fraction"].get<double>(), 0.2, 0.05);
}

TEST_F(Report, HostileNamesAreEscapedAndTheReportLoadsInChromium) {
  json hostile = base_doc();
  hostile["context"]["host_name"] = "<script>alert(\"host\")</script>";
  hostile["context"]["trainbench"]["device"]["name"] = "dev'ice\" <b>bold</b> & co";
  hostile["results"][0]["problem"] = "gemm:<img src=x onerror=alert(1)>'\"";
  hostile["benchmarks"] = json::array();  // their names would no longer match the problem
  std::vector<std::string> files;
  for (int i = 0; i < 12; ++i) {
    const fs::path path = dir_ / ("h" + std::to_string(i) + ".json");
    write_text(path, as_night(hostile, i < 6 ? 1.0 : 1.25, i).dump());
    files.push_back(path.string());
  }
  ASSERT_TRUE(exited_with(import(files), 0));
  const fs::path html = dir_ / "report.html";
  const ProcessResult r = trainbench({"report", "--db", db().string(), "-o", html.string(), "--since", "all"});
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_NE(r.out.find("12 runs, 2 series"), std::string::npos) << r.out;
  const std::string page = read_text(html);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<b>bold"), std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(page.find("dev&#39;ice&quot; &lt;b&gt;bold&lt;/b&gt; &amp; co"), std::string::npos);

  const std::optional<std::string> chromium = find_chromium();
  ASSERT_TRUE(chromium.has_value()) << "Chromium is needed for this test: scripts/install-deps.sh --test";
  const BrowserLoad load = load_in_chromium(*chromium, html.string(), (dir_ / "report.png").string());
  ASSERT_TRUE(load.loaded) << load.log;
  EXPECT_TRUE(load.console_errors.empty()) << load.console_errors.front();
  EXPECT_NE(load.dom.find("<svg"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "report.png"));
}

// run --model --db records the cost comparison; the report draws it and the
// latest run's roofline against the measured peaks.
TEST_F(Report, AModelRunGivesTheCostChartAndTheRoofline) {
  const ProcessResult r = run_quick({"--model", "llama3.2-1b", "--tokens", "16", "--price", "0.5", "--db", db().string()});
  ASSERT_TRUE(exited_with(r, 0));
  {
    RawDb raw(db());
    EXPECT_EQ(raw.column("SELECT COUNT(*) FROM costs"), std::vector<std::string>{"6"}) << "this machine + 5 instances";
  }
  const fs::path html = dir_ / "report.html";
  ASSERT_TRUE(exited_with(trainbench({"report", "--db", db().string(), "-o", html.string(), "--since", "all"}), 0));
  const std::string page = read_text(html);
  for (const char* needle : {"trn1.32xlarge", "p5.48xlarge", "this machine", "--model llama3.2-1b",
                             "class=\"cost measured\"", "class=\"cost projected\"",
                             // every projected bar with its stated error (p5: H100-SXM's published runs; trn2 is unpriced, not drawn)
                             "stated error +/-", "published runs on H100-SXM"}) {
    EXPECT_NE(page.find(needle), std::string::npos) << needle;
  }
  // A line per measured peak: fp32 on any x86-64 CPU with AVX2, bf16 only where it has AVX512-BF16.
  const json peaks = read_json(json_files(out_).front())["context"]["trainbench"]["device"]["peak_flop_per_s"];
  ASSERT_TRUE(peaks.contains("fp32")) << peaks.dump();
  for (const auto& [dtype, value] : peaks.items()) EXPECT_NE(page.find(dtype + " peak"), std::string::npos) << dtype;
  EXPECT_EQ(page.find("No cost comparison"), std::string::npos);
}

// A history of this machine as `make run` and a nightly job leave it: every
// section draws what it should, and says why where it cannot. The nightly
// GEMMs run with the instruction set capped at AVX2, so that bf16 is computed
// in fp32 on any machine, and the history records the fp32 peak as its roof.
TEST_F(Report, EachSectionDrawsThisMachinesOwnHistory) {
  ProcessOptions avx2;
  avx2.env = {"TRAINBENCH_MAX_ISA=avx2", "ONEDNN_MAX_CPU_ISA=AVX2"};
  for (int night = 0; night < 2; ++night) {
    std::vector<std::string> args = {"run", "--problem", "gemm:m=128,n=128,k=128,dtype=fp32|bf16", "--problem",
                                     "allreduce:bytes=64K|1M,ranks=2", "--db", db().string(), "--out", out_.string()};
    args.insert(args.end(), kQuick.begin(), kQuick.end());
    ASSERT_TRUE(exited_with(trainbench(args, avx2), 0));
  }
  // A model run with nothing priced: this machine has no price and no instance is compared.
  // (The small composition-check model: a few seconds, also under the sanitizers.)
  ASSERT_TRUE(exited_with(run_quick({"--model", "composition-check", "--tokens", "16", "--instance", "none", "--db",
                                     db().string()}),
                          0));
  const fs::path html = dir_ / "report.html";
  ASSERT_TRUE(exited_with(trainbench({"report", "--db", db().string(), "-o", html.string(), "--since", "all"}), 0));
  const std::string page = read_text(html);
  const auto section = [&page](const std::string& id) {
    const std::size_t at = page.find("<section id=\"" + id + "\">");
    return at == std::string::npos ? std::string() : page.substr(at, page.find("</section>", at) - at);
  };
  // Roofline: the model run's kernels (fp32), none of them an all-reduce.
  const std::string roofline = section("roofline");
  EXPECT_EQ(roofline.find("allreduce"), std::string::npos) << "all-reduces are not roofline points";
  EXPECT_NE(roofline.find("<circle class=\"rpt\""), std::string::npos);
  // The bandwidth view: the nightly runs' all-reduces (the model run has none), under the memcpy ceiling.
  const std::string bandwidth = section("bandwidth");
  for (const char* needle : {"class=\"plot bandwidth\"", ">64 KiB<", ">1 MiB<", "memory bandwidth (memcpy",
                             "fp32, 2 ranks, ring over threads, in-place"}) {
    EXPECT_NE(bandwidth.find(needle), std::string::npos) << needle;
  }
  // Cost: why there is none.
  EXPECT_NE(section("cost").find("No cost to draw: run 3 (model composition-check) compared 1 row, none with a price"),
            std::string::npos)
      << section("cost");
  // Throughput: ticks with the time of day.
  const auto has_date_and_time_tick = [](const std::string& text) {  // ">MM-DD HH:MM"
    const std::string shape = ">00-00 00:00";
    for (std::size_t at = text.find('>'); at != std::string::npos && at + shape.size() <= text.size();
         at = text.find('>', at + 1)) {
      bool match = true;
      for (std::size_t i = 0; i < shape.size() && match; ++i) {
        const char c = text[at + i];
        match = shape[i] == '0' ? (c >= '0' && c <= '9') : c == shape[i];
      }
      if (match) return true;
    }
    return false;
  };
  EXPECT_TRUE(has_date_and_time_tick(section("throughput"))) << "no date-and-time tick";
  // The nightly bf16 GEMM was compared with the fp32 peak, and the history keeps it for its roof.
  {
    RawDb raw(db());
    EXPECT_EQ(raw.column("SELECT peak_dtype FROM measurements WHERE problem LIKE 'gemm:m=128%bf16' LIMIT 1"),
              std::vector<std::string>{"fp32"});
  }
  const std::optional<std::string> chromium = find_chromium();
  ASSERT_TRUE(chromium.has_value()) << "Chromium is needed for this test: scripts/install-deps.sh --test";
  const BrowserLoad load = load_in_chromium(*chromium, html.string(), (dir_ / "report.png").string());
  ASSERT_TRUE(load.loaded) << load.log;
  EXPECT_TRUE(load.console_errors.empty()) << load.console_errors.front();
}

TEST_F(Report, AnEmptyWindowStillWritesAPageAndBadOutputIsRefused) {
  ASSERT_TRUE(exited_with(import(write_series(2, 0.0, 99, 1.0)), 0));
  const fs::path html = dir_ / "r.html";
  ASSERT_TRUE(exited_with(trainbench({"report", "--db", db().string(), "-o", html.string(), "--since", "1h"}), 0));
  EXPECT_NE(read_text(html).find("</html>"), std::string::npos);
  write_text(dir_ / "a-file", "x");
  expect_bad_input(trainbench({"report", "--db", db().string(), "-o", (dir_ / "a-file" / "r.html").string()}),
                   {"a-file"}, false, files_under(dir_));
}

TEST_F(History, ProjectedRunsAreNotRecorded) {
  expect_bad_input(run_quick({"--backend", "projected", "--instance", "p5.48xlarge", "--problem", "gemm:m=64,n=64,k=64",
                              "--db", db().string()}),
                   {"--db", "projected"});
}

}  // namespace
}  // namespace tbtest
