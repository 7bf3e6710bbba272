// trainbench's outputs read by the tools our users already run, as they run
// them: Google Benchmark's own tools/compare.py (Debian's libbenchmark-tools,
// with python3-scipy for its U test), and the median-only file CI benchmark
// trackers read (github-action-benchmark's `googlecpp`, Bencher's
// `cpp_google`: one series per `benchmarks[]` name, docs/results.md).
// scripts/install-deps.sh --test installs the Debian packages; they are looked
// up when the tests run.
//
// Filter: --gtest_filter='ThirdPartyReaders*'.
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli_test_support.h"

namespace tbtest {
namespace {

constexpr const char* kPython3 = "/usr/bin/python3";
constexpr const char* kComparePy = "/usr/share/benchmark/compare.py";

class ThirdPartyReaders : public CliTest {
 protected:
  // Runs `problems` on the cpu backend with `repetitions` into `out`; returns the result file.
  fs::path run_into(const fs::path& out, const std::vector<std::string>& problems, int repetitions,
                    const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"run", "--backend", "cpu", "--out", out.string(), "--repetitions",
                                     std::to_string(repetitions), "--min-time", "0.01", "--warmup-time", "0"};
    for (const std::string& p : problems) args.insert(args.end(), {"--problem", p});
    args.insert(args.end(), extra.begin(), extra.end());
    const ProcessResult r = trainbench(args);
    EXPECT_TRUE(exited_with(r, 0));
    const std::vector<fs::path> files = json_files(out);
    EXPECT_EQ(files.size(), 1u) << r.describe();
    return files.empty() ? fs::path() : files.front();
  }
};

// The real_time of every entry of `doc`, by entry name, in file order (ns).
std::map<std::string, std::vector<double>> times_by_name(const json& doc) {
  std::map<std::string, std::vector<double>> times;
  for (const json& b : doc.at("benchmarks")) {
    EXPECT_EQ(b.at("time_unit"), "ns") << b.dump();
    times[b.at("name").get<std::string>()].push_back(b.at("real_time").get<double>());
  }
  return times;
}

TEST_F(ThirdPartyReaders, GoogleBenchmarksComparePyPairsEveryProblemAndPrintsItsTimes) {
  if (!fs::exists(kPython3) || !fs::exists(kComparePy)) {
    GTEST_SKIP() << kComparePy << " or " << kPython3
                 << " is not installed (scripts/install-deps.sh --test installs libbenchmark-tools)";
  }
  // Two kernels, the GEMMs on either side of the attention: compare.py sorts by family and instance.
  const std::vector<std::string> problems = {"gemm:m=64,n=64,k=64", "attention:b=1,h=2,sq=64,skv=64,d=32",
                                             "gemm:m=96,n=32,k=64"};
  constexpr int kRepetitions = 3;
  const fs::path old_file = run_into(dir_ / "old", problems, kRepetitions);
  const fs::path new_file = run_into(dir_ / "new", problems, kRepetitions);
  ASSERT_FALSE(old_file.empty() || new_file.empty());
  const json old_doc = read_json(old_file), new_doc = read_json(new_file);
  const std::map<std::string, std::vector<double>> old_ns = times_by_name(old_doc), new_ns = times_by_name(new_doc);

  ProcessOptions options;
  options.env = {"PYTHONDONTWRITEBYTECODE=1"};
  const ProcessResult r =
      run_process({kPython3, kComparePy, "--no-color", "benchmarks", old_file.string(), new_file.string()}, options);
  ASSERT_TRUE(exited_with(r, 0)) << r.describe();

  // Its rows: NAME CHANGE_TIME CHANGE_CPU TIME_OLD TIME_NEW CPU_OLD CPU_NEW (times whole ns, "{:14.0f}"),
  // and NAME_pvalue P_TIME P_CPU "U Test, ...".
  std::vector<std::vector<std::string>> rows;
  for (const std::string& line : lines_of(r.out)) {
    const std::vector<std::string> words = words_of(line);
    if (words.size() >= 3 && words[0] != "Benchmark" && words[0] != "Comparing" && words[0][0] != '-') {
      rows.push_back(words);
    }
  }
  std::set<std::string> seen;
  for (const json& result : old_doc.at("results")) {
    const std::string run_name = result.at("problem").get<std::string>() + "/cpu";
    SCOPED_TRACE(run_name + "\n" + r.out);
    seen.insert(run_name);
    // The problem's rows, one block: its repetitions paired in order, the U test, then the aggregates.
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::string& name = rows[i][0];
      if (name == run_name || (name.rfind(run_name + "_", 0) == 0 && name.find('/', run_name.size()) == std::string::npos)) {
        at.push_back(i);
      }
    }
    ASSERT_EQ(at.size(), kRepetitions + 1u + 6u) << "3 repetitions, the p-value and 6 aggregates";
    EXPECT_EQ(at.back() - at.front() + 1, at.size()) << "the problem's rows are not one block";
    for (int rep = 0; rep < kRepetitions; ++rep) {
      const std::vector<std::string>& row = rows[at[rep]];
      ASSERT_EQ(row[0], run_name);
      ASSERT_EQ(row.size(), 7u);
      const double time_old = std::stod(row[3]), time_new = std::stod(row[4]);
      EXPECT_GT(time_old, 0.0) << "a time printed as 0";
      EXPECT_GT(time_new, 0.0) << "a time printed as 0";
      EXPECT_NEAR(time_old, old_ns.at(run_name)[rep], 1.0) << "repetition " << rep << " of the old file";
      EXPECT_NEAR(time_new, new_ns.at(run_name)[rep], 1.0) << "repetition " << rep << " of the new file";
      EXPECT_GT(std::stod(row[5]), 0.0) << "CPU time printed as 0";
    }
    EXPECT_EQ(rows[at[kRepetitions]][0], run_name + "_pvalue");
    const std::vector<std::string>& median = rows[at[kRepetitions + 2]];
    ASSERT_EQ(median[0], run_name + "_median");
    EXPECT_NEAR(std::stod(median[3]), old_ns.at(run_name + "_median")[0], 1.0);
    EXPECT_NEAR(std::stod(median[4]), new_ns.at(run_name + "_median")[0], 1.0);
  }
  EXPECT_EQ(seen.size(), problems.size());
}

TEST_F(ThirdPartyReaders, MedianOnlyGivesATrackerOneNamedTimePerProblem) {
  // As github-action-benchmark and Bencher read it: every benchmarks[] entry is a
  // series point named `name`, valued `real_time` in `time_unit`.
  const std::vector<std::string> problems = {"gemm:m=64,n=64,k=64", "gemm:m=8,n=8,k=8,dtype=fp8"};
  const fs::path file = run_into(out_, problems, 3, {"--median-only"});
  ASSERT_FALSE(file.empty());
  const json doc = read_json(file);
  ASSERT_TRUE(doc.at("context").at("caches").is_array()) << "Bencher requires context.caches";
  std::map<std::string, const json*> by_name;
  for (const json& b : doc.at("benchmarks")) {
    EXPECT_TRUE(by_name.emplace(b.at("name").get<std::string>(), &b).second) << "a name twice: " << b.dump();
  }
  ASSERT_EQ(by_name.size(), 1u) << "one entry for the passed GEMM; none for the skipped fp8 one\n"
                                << doc.at("benchmarks").dump(2);
  const json& passed = doc.at("results").at(0);
  const json& entry = *by_name.begin()->second;
  EXPECT_EQ(entry.at("name"), passed.at("problem").get<std::string>() + "/cpu_median");
  EXPECT_EQ(entry.at("aggregate_name"), "median");
  EXPECT_EQ(entry.at("time_unit"), "ns");
  EXPECT_GT(entry.at("real_time").get<double>(), 0.0);
  EXPECT_EQ(entry.at("repetitions"), 3);
  EXPECT_EQ(doc.at("results").at(1).at("status"), "skipped");

  // A projected run, which times nothing, still gives each problem its entry.
  const ProcessResult projected = trainbench({"run", "--backend", "projected", "--instance", "p5.48xlarge", "--problem",
                                              "gemm:m=4096,n=4096,k=4096,dtype=bf16", "--problem",
                                              "gemm:m=1024,n=1024,k=1024,dtype=bf16", "--out",
                                              (dir_ / "projected").string(), "--median-only"});
  ASSERT_TRUE(exited_with(projected, 0));
  const json projected_doc = read_json(json_files(dir_ / "projected").at(0));
  const json& entries = projected_doc.at("benchmarks");
  ASSERT_EQ(entries.size(), 2u) << entries.dump(2);
  for (const json& b : entries) {
    EXPECT_EQ(b.at("provenance"), "projected");
    EXPECT_GT(b.at("real_time").get<double>(), 0.0);
  }
  EXPECT_NE(entries[0].at("name"), entries[1].at("name"));
}

}  // namespace
}  // namespace tbtest
