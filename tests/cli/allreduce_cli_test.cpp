// End-to-end tests of the all-reduce collective (issue 4): the real trainbench
// executable with transport=threads in one process, and under mpirun with
// transport=mpi, including a rank that dies or hangs mid-run.
//
// Filter: --gtest_filter='*llreduce*:*Mpi*'.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "cli_test_support.h"
#include "support/nccl_tests_output.h"

#ifndef MPIEXEC
#error "MPIEXEC must name mpirun (empty when CMake found none; set by tests/cli/CMakeLists.txt)"
#endif

namespace tbtest {
namespace {

constexpr const char* kMpiexec = MPIEXEC;

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// Lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting_with(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& line : lines_of(text)) {
    if (starts_with(line, prefix)) out.push_back(line);
  }
  return out;
}

// ---------------------------------------------------------------------------
// The nccl-tests table on stdout, read with the rules of nccl-tests' own
// parsers (tests/support/nccl_tests_output.h): one all_reduce_perf block per
// algorithm, every line after it a '#' comment.

// The figures of a passed run: a positive time, bandwidths >= 0 (a few bytes
// print as 0.00 GB/s), no wrong element.
void expect_passed_figures(const NcclTestsSide& f, const std::string& side, const std::string& line) {
  EXPECT_GT(nccl_number(f.time_us).value_or(-1.0), 0.0) << side << " time in: " << line;
  EXPECT_GE(nccl_number(f.algbw).value_or(-1.0), 0.0) << side << " algbw in: " << line;
  EXPECT_GE(nccl_number(f.busbw).value_or(-1.0), 0.0) << side << " busbw in: " << line;
  EXPECT_EQ(f.wrong, "0") << side << " #wrong in: " << line;
}

struct ExpectedRow {
  long long size;
  long long count;
  std::string type;  // nccl-tests' name: float, bfloat16, half
};

// Checks stdout: one block per algorithm of `algos`, in order, each saying
// its ranks, algorithm and transport, with the rows `expected` (in order), all
// passed with #wrong 0, the out-of-bounds line, and the average equal to the
// mean of the block's printed busbw; no line a parser would trip on.
void expect_collective_table(const std::string& out, int ranks, const std::string& transport,
                             const std::vector<std::string>& algos, const std::vector<ExpectedRow>& expected) {
  const NcclTestsOutput parsed = parse_nccl_tests_output(out);
  EXPECT_TRUE(parsed.problems.empty()) << parsed.problems.front() << "\n" << out;
  ASSERT_EQ(parsed.runs.size(), algos.size()) << "one all_reduce_perf block per algorithm:\n" << out;
  std::size_t at = 0;
  for (std::size_t b = 0; b < algos.size(); ++b) {
    const std::string says = "all-reduce over " + std::to_string(ranks) + " ranks, algo " + algos[b] +
                             ", transport " + transport + " ";
    at = out.find(says, at);
    EXPECT_NE(at, std::string::npos) << "no block says '" << says << "' in order:\n" << out;
    const NcclTestsRun& run = parsed.runs[b];
    ASSERT_EQ(run.rows.size(), expected.size()) << "one row per size, pairing out-of-place and in-place:\n" << out;
    double busbw_sum = 0.0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const NcclTestsRow& r = run.rows[i];
      EXPECT_EQ(r.size, expected[i].size) << r.line;
      EXPECT_EQ(r.count, expected[i].count) << r.line;
      EXPECT_EQ(r.type, expected[i].type) << r.line;
      EXPECT_EQ(r.redop, "sum") << r.line;
      EXPECT_EQ(r.root, "-1") << r.line;
      expect_passed_figures(r.out_of_place, "out-of-place", r.line);
      expect_passed_figures(r.in_place, "in-place", r.line);
      busbw_sum += nccl_number(r.out_of_place.busbw).value_or(0) + nccl_number(r.in_place.busbw).value_or(0);
    }
    EXPECT_EQ(run.out_of_bounds_line, "# Out of bounds values : 0 OK") << out;
    ASSERT_TRUE(run.average.has_value()) << "the footer's number, alone: " << run.average_line;
    // The average is over unrounded figures; the rows are rounded to 2 decimals.
    EXPECT_NEAR(*run.average, busbw_sum / (2.0 * static_cast<double>(expected.size())), 0.0051) << out;
    EXPECT_TRUE(run.concluded) << out;
  }
}

// ---------------------------------------------------------------------------
// The JSON result file: a `collective` object per result.

struct ExpectedResult {
  long long bytes;
  long long count;
  std::string dtype;
  std::string algo;
  bool in_place;
};

void expect_collective_results(const json& doc, int ranks, const std::string& transport,
                               const std::vector<ExpectedResult>& expected) {
  ASSERT_TRUE(doc.contains("results")) << doc.dump(1);
  const json& results = doc.at("results");
  ASSERT_EQ(results.size(), expected.size()) << doc.dump(1);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const json& r = results.at(i);
    const ExpectedResult& e = expected[i];
    SCOPED_TRACE("result " + std::to_string(i) + ": " + r.value("problem", std::string("?")));
    EXPECT_EQ(r.value("status", ""), "passed") << r.value("reason", "");
    EXPECT_EQ(r.value("kernel", ""), "allreduce");
    EXPECT_EQ(r.value("dtype", ""), e.dtype);
    EXPECT_EQ(r.value("min_bytes", -1.0), static_cast<double>(e.bytes));
    ASSERT_TRUE(r.contains("collective") && r.at("collective").is_object()) << "no `collective` object in the result:\n"
                                                                            << r.dump(1);
    const json& c = r.at("collective");
    bool complete = true;
    for (const char* key : {"ranks", "transport", "algo", "op", "in_place", "count_elements", "bus_factor",
                            "algbw_bytes_per_s", "busbw_bytes_per_s", "wrong_elements"}) {
      EXPECT_TRUE(c.contains(key)) << "collective." << key << " is missing:\n" << c.dump(1);
      complete &= c.contains(key);
    }
    if (!complete) return;
    EXPECT_EQ(c.at("ranks").get<int>(), ranks);
    EXPECT_EQ(c.at("transport").get<std::string>(), transport);
    EXPECT_EQ(c.at("algo").get<std::string>(), e.algo);
    EXPECT_EQ(c.at("op").get<std::string>(), "sum");
    EXPECT_EQ(c.at("in_place").get<bool>(), e.in_place);
    EXPECT_EQ(c.at("count_elements").get<long long>(), e.count);
    EXPECT_EQ(c.at("wrong_elements").get<long long>(), 0);
    const double bus_factor = c.at("bus_factor").get<double>();
    EXPECT_DOUBLE_EQ(bus_factor, 2.0 * (ranks - 1) / ranks);
    // algbw = bytes / median time; busbw = algbw * bus factor (nccl-tests' definitions).
    const double median = r.at("time_s").at("median").get<double>();
    const double algbw = c.at("algbw_bytes_per_s").get<double>();
    ASSERT_GT(median, 0.0);
    EXPECT_NEAR(algbw, static_cast<double>(e.bytes) / median, 1e-9 * algbw);
    EXPECT_NEAR(c.at("busbw_bytes_per_s").get<double>(), algbw * bus_factor, 1e-9 * algbw);
  }
}

// One result file in `out`, parsed; fails the test otherwise.
json only_result_file(const fs::path& out, const ProcessResult& r) {
  const std::vector<fs::path> files = json_files(out);
  EXPECT_EQ(files.size(), 1u) << "expected exactly one result file in " << out << "\n" << r.describe();
  return files.size() == 1 ? read_json(files[0]) : json();
}

// ---------------------------------------------------------------------------
// The process helpers the MPI tests rely on: environment, sessions, /proc.

TEST(AllreduceProcessHelper, SetsAndReplacesEnvironmentVariables) {
  ProcessOptions o;
  o.env = {"TB_ALLREDUCE_TEST=hello world", "HOME=/nonexistent-home"};
  const ProcessResult r =
      run_process({"/bin/sh", "-c", "echo \"$TB_ALLREDUCE_TEST|$HOME\"; echo \"$PATH\" | wc -c"}, o);
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_TRUE(starts_with(r.out, "hello world|/nonexistent-home\n")) << r.out;
  EXPECT_NE(lines_of(r.out).at(1), "1") << "PATH should be inherited";
}

TEST(AllreduceProcessHelper, FindsAndKillsTheWholeSession) {
  ProcessOptions o;
  o.new_session = true;
  o.env = {"TB_ALLREDUCE_MARK=7"};
  // A grandchild in a process group of its own, as mpirun starts its ranks.
  if (::access("/usr/bin/perl", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/perl to start a process group";
  ChildProcess child({"/usr/bin/perl", "-e", "if (fork() == 0) { setpgrp(0, 0); exec('sleep', '30'); } wait;"}, o);
  std::vector<pid_t> others;
  for (const double until = now_s() + 10.0; others.empty() && now_s() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (const pid_t p : child.session_processes()) {
      const std::vector<std::string> cmd = command_line_of(p);
      if (!cmd.empty() && cmd[0] == "sleep") others.push_back(p);
    }
  }
  ASSERT_EQ(others.size(), 1u) << "the sleep grandchild never appeared in the session";
  EXPECT_EQ(::getpgid(others[0]), others[0]) << "the grandchild should lead a process group of its own";
  EXPECT_EQ(environment_of(others[0], "TB_ALLREDUCE_MARK"), std::optional<std::string>("7"));
  EXPECT_GT(resident_bytes_of(others[0]), 0);
  child.kill_session();
  for (const double until = now_s() + 5.0; !processes_in_session(child.pid()).empty() && now_s() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(processes_in_session(child.pid()), std::vector<pid_t>{}) << "kill_session left processes behind";
}

// ---------------------------------------------------------------------------
// transport=threads: every rank is a thread of one process.

class AllreduceThreads : public CliTest, public ::testing::WithParamInterface<int> {};

TEST_P(AllreduceThreads, RunsVerifiesAndPrintsTheNcclTestsTable) {
  const int ranks = GetParam();
  // 4100 B = 1025 fp32 elements: a count no rank count above 1 divides.
  const ProcessResult r = run_quick({"--problem", "allreduce:bytes=1K|4100,ranks=" + std::to_string(ranks)});
  ASSERT_TRUE(exited_with(r, 0));
  expect_collective_table(r.out, ranks, "threads", {"ring"}, {{1024, 256, "float"}, {4100, 1025, "float"}});
  EXPECT_EQ(r.err, "") << "a passing run prints nothing on stderr";
  const json doc = only_result_file(out_, r);
  expect_collective_results(doc, ranks, "threads",
                            {{1024, 256, "fp32", "ring", false},
                             {1024, 256, "fp32", "ring", true},
                             {4100, 1025, "fp32", "ring", false},
                             {4100, 1025, "fp32", "ring", true}});
}

INSTANTIATE_TEST_SUITE_P(Ranks, AllreduceThreads, ::testing::Values(1, 2, 3, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::to_string(info.param) + "ranks";
                         });

using AllreduceCli = CliTest;

TEST_F(AllreduceCli, MinBusbwAboveTheAverageExitsOneNamingBoth) {
  const ProcessResult r = run_quick({"--problem", "allreduce:bytes=4K,ranks=2", "--min-busbw", "1e9"});
  ASSERT_TRUE(exited_with(r, 1));
  const NcclTestsOutput t = parse_nccl_tests_output(r.out);
  ASSERT_EQ(t.runs.size(), 1u) << r.out;
  const std::vector<std::string> average_words = words_of(t.runs[0].average_line);
  ASSERT_FALSE(average_words.empty()) << r.out;
  const std::string average = average_words.back();
  const std::vector<std::string> messages = lines_starting_with(r.err, "trainbench:");
  ASSERT_EQ(messages.size(), 1u) << r.describe();
  EXPECT_TRUE(contains(messages[0], "--min-busbw")) << messages[0];
  EXPECT_TRUE(contains(messages[0], "1e+09")) << "the floor as given: " << messages[0];
  EXPECT_TRUE(contains(messages[0], average + " GB/s"))
      << "the average the table printed (" << average << "): " << messages[0];
  // Not bad input: the measurements are kept.
  only_result_file(out_, r);
}

TEST_F(AllreduceCli, MinBusbwBelowTheAverageExitsZero) {
  const ProcessResult r = run_quick({"--problem", "allreduce:bytes=4K,ranks=2", "--min-busbw", "0.000001"});
  EXPECT_TRUE(exited_with(r, 0));
  EXPECT_FALSE(contains(r.err, "min-busbw")) << r.err;
}

TEST_F(AllreduceCli, BadInputBytesNotAMultipleOfTheElementSize) {
  expect_bad_input(run_quick({"--problem", "allreduce:bytes=4098,ranks=2"}), {"bytes=4098", "fp32"});
}

TEST_F(AllreduceCli, BadInputBytesNotAMultipleOfTheBf16ElementSize) {
  expect_bad_input(run_quick({"--problem", "allreduce:bytes=4097,ranks=2,dtype=bf16"}), {"bytes=4097", "bf16"});
}

TEST_F(AllreduceCli, BadInputZeroRanks) {
  expect_bad_input(run_quick({"--problem", "allreduce:bytes=4K,ranks=0"}), {"ranks=0"});
}

TEST_F(AllreduceCli, BadInputTransportMpiWithoutMpirun) {
  expect_bad_input(run_quick({"--problem", "allreduce:bytes=4K,ranks=2,transport=mpi"}), {"transport=mpi", "mpirun"});
}

TEST_F(AllreduceCli, BadInputAlgoMpiWithoutMpirun) {
  expect_bad_input(run_quick({"--problem", "allreduce:bytes=4K,ranks=2,algo=mpi"}), {"algo=mpi", "mpirun"});
}

TEST_F(AllreduceCli, BadInputZeroCommTimeout) {
  expect_bad_input(run_quick({"--problem", "allreduce:bytes=4K,ranks=2", "--comm-timeout", "0"}), {"--comm-timeout 0"});
}

TEST_F(AllreduceCli, BadInputNegativeCommTimeout) {
  expect_bad_input(run_quick({"--problem", "allreduce:bytes=4K,ranks=2", "--comm-timeout", "-1"}),
                   {"--comm-timeout -1"});
}

TEST_F(AllreduceCli, BadInputNegativeMinBusbw) {
  expect_bad_input(run_quick({"--problem", "allreduce:bytes=4K,ranks=2", "--min-busbw", "-1"}), {"--min-busbw -1 "});
}

// ---------------------------------------------------------------------------
// transport=mpi: one process per rank, started by mpirun.

class MpiAllreduce : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (std::string(kMpiexec).empty()) GTEST_SKIP() << "CMake found no mpirun (MPIEXEC is empty)";
    if (::access(kMpiexec, X_OK) != 0) GTEST_SKIP() << "mpirun " << kMpiexec << " is not executable";
  }

  // mpirun --oversubscribe -np N trainbench run ARGS --out out_ [kQuick]; in its own session.
  ProcessOptions mpirun_options(double timeout_s) const {
    ProcessOptions o;
    o.cwd = dir_.string();
    o.timeout_s = timeout_s;
    o.new_session = true;
    o.env = child_environment();
    if (::geteuid() == 0) {  // Open MPI refuses root without both
      o.env.push_back("OMPI_ALLOW_RUN_AS_ROOT=1");
      o.env.push_back("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1");
    }
    return o;
  }
  // `out`: the --out directory; empty: out_.
  std::vector<std::string> mpirun_argv(int np, const std::vector<std::string>& args, bool quick = true,
                                       const fs::path& out = {}) const {
    std::vector<std::string> argv = {kMpiexec, "--oversubscribe", "-np", std::to_string(np), kTrainbench, "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--out", (out.empty() ? out_ : out).string()});
    if (quick) argv.insert(argv.end(), kQuick.begin(), kQuick.end());
    return argv;
  }
  ProcessResult mpirun(int np, const std::vector<std::string>& args, const fs::path& out = {}) const {
    ChildProcess child(mpirun_argv(np, args, true, out), mpirun_options(60));
    ProcessResult r = child.wait();
    expect_no_process_left(child);
    return r;
  }

  // Nothing of the job may outlive mpirun; leftovers are killed (and fail the test).
  static void expect_no_process_left(ChildProcess& child) {
    std::vector<pid_t> left = child.session_processes();
    for (double until = now_s() + 5.0; !left.empty() && now_s() < until; left = child.session_processes()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::string names;
    for (const pid_t p : left) {
      const std::vector<std::string> cmd = command_line_of(p);
      names += " " + std::to_string(p) + " (" + (cmd.empty() ? "?" : cmd[0]) + ")";
    }
    child.kill_session();
    EXPECT_TRUE(left.empty()) << "processes left behind after mpirun ended (killed now):" << names;
  }

  // Bad input under mpirun: exit status 2 from mpirun, exactly one trainbench
  // message (rank 0's) naming every needle, nothing on stdout, no file written.
  void expect_mpi_bad_input(const ProcessResult& r, const std::vector<std::string>& needles,
                            const std::vector<fs::path>& keep = {}) const {
    EXPECT_TRUE(exited_with(r, 2));
    EXPECT_EQ(r.out, "") << "stdout should be empty on bad input";
    const std::vector<std::string> messages = lines_starting_with(r.err, "trainbench:");
    ASSERT_EQ(messages.size(), 1u) << "expected one message, from rank 0 only:\n" << r.describe();
    EXPECT_TRUE(starts_with(messages[0], "trainbench: error: ")) << messages[0];
    for (const std::string& needle : needles) {
      EXPECT_TRUE(contains(messages[0], needle)) << "the message does not name '" << needle << "': " << messages[0];
    }
    EXPECT_EQ(files_under(dir_), keep) << "bad input must not write any file";
  }
};

class MpiAllreduceRanks : public MpiAllreduce, public ::testing::WithParamInterface<int> {};

TEST_P(MpiAllreduceRanks, RingAndMpiAlgorithmsPassOnRankZeroOnly) {
  const int np = GetParam();
  // Counts that neither 2 nor 3 divide (1025 fp32, 2051 bf16) and a count of
  // one element, smaller than the number of ranks.
  const ProcessResult r =
      mpirun(np, {"--problem", "allreduce:bytes=4|4100,dtype=fp32,algo=ring|mpi,ranks=" + std::to_string(np),
                  "--problem", "allreduce:bytes=2|4102,dtype=bf16,algo=ring|mpi,ranks=" + std::to_string(np)});
  ASSERT_TRUE(exited_with(r, 0));
  expect_collective_table(r.out, np, "mpi", {"ring", "mpi"},
                          {{4, 1, "float"}, {4100, 1025, "float"}, {2, 1, "bfloat16"}, {4102, 2051, "bfloat16"}});
  EXPECT_EQ(lines_starting_with(r.out, "# results: ").size(), 1u) << "rank 0 only prints:\n" << r.out;
  EXPECT_EQ(lines_starting_with(r.err, "trainbench"), std::vector<std::string>{}) << r.err;
  const json doc = only_result_file(out_, r);
  std::vector<ExpectedResult> expected;
  for (const auto& [bytes, count, dtype] : std::vector<std::tuple<long long, long long, std::string>>{
           {4, 1, "fp32"}, {4100, 1025, "fp32"}, {2, 1, "bf16"}, {4102, 2051, "bf16"}}) {
    for (const char* algo : {"ring", "mpi"}) {
      expected.push_back({bytes, count, dtype, algo, false});
      expected.push_back({bytes, count, dtype, algo, true});
    }
  }
  expect_collective_results(doc, np, "mpi", expected);
  if (doc.contains("context")) {
    EXPECT_TRUE(contains(doc.at("context").value("processes", ""), "MPI: " + std::to_string(np) + " processes"))
        << doc.at("context").dump(1);
  }
}

INSTANTIATE_TEST_SUITE_P(Np, MpiAllreduceRanks, ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& info) { return "np" + std::to_string(info.param); });

TEST_F(MpiAllreduce, RanksDifferentFromTheProcessCountIsBadInput) {
  expect_mpi_bad_input(mpirun(2, {"--problem", "allreduce:bytes=4K,ranks=3"}), {"ranks=3", "2 processes"});
}

TEST_F(MpiAllreduce, GemmUnderMpirunIsBadInput) {
  expect_mpi_bad_input(mpirun(2, {"--problem", "gemm:m=32,n=16,k=8"}), {"gemm:", "2 processes"});
}

TEST_F(MpiAllreduce, ThreadsTransportUnderMpirunIsBadInput) {
  expect_mpi_bad_input(mpirun(2, {"--problem", "allreduce:bytes=4K,ranks=2,transport=threads"}),
                       {"transport=threads", "2 processes"});
}

// Every rank measured the same (slowest rank's) times; rank 0 alone judges
// the floor, and mpirun passes its exit status 1 on.
TEST_F(MpiAllreduce, MinBusbwAboveTheAverageExitsOneUnderMpirun) {
  const ProcessResult r = mpirun(2, {"--problem", "allreduce:bytes=4K,ranks=2", "--min-busbw", "1e9"});
  EXPECT_TRUE(exited_with(r, 1));
  const std::vector<std::string> messages = lines_starting_with(r.err, "trainbench:");
  ASSERT_EQ(messages.size(), 1u) << r.describe();
  EXPECT_TRUE(contains(messages[0], "--min-busbw 1e+09")) << messages[0];
  EXPECT_EQ(parse_nccl_tests_output(r.out).runs.size(), 1u) << r.out;
  only_result_file(out_, r);
}

// Only rank 0 writes: its failure to create --out is agreed on before any
// collective runs, reported once by rank 0, and every rank exits 2.
TEST_F(MpiAllreduce, OutUnderARegularFileIsReportedByRankZeroOnly) {
  const fs::path file = dir_ / "OUTFILE";
  write_text(file, "");
  expect_mpi_bad_input(mpirun(2, {"--problem", "allreduce:bytes=4K,ranks=2"}, file / "sub"),
                       {"rank 0", (file / "sub").string()}, {file});
}

TEST_F(MpiAllreduce, NegativeMinBusbwUnderMpirunIsReportedOnce) {
  expect_mpi_bad_input(mpirun(2, {"--problem", "allreduce:bytes=4K,ranks=2", "--min-busbw", "-1"}),
                       {"--min-busbw -1 "});
}

// algo=nccl with transport=mpi on --backend cuda (backends/cuda/nccl_allreduce.h):
// one process per GPU, the NCCL id broadcast over MPI.
class MpiNcclAllreduce : public MpiAllreduce {
 protected:
  // `trainbench list backends` says "cuda: available ..." (a CUDA build on a machine with a GPU).
  bool cuda_available() const {
    const ProcessResult r = trainbench({"list", "backends"});
    for (const std::string& line : lines_of(r.out)) {
      if (starts_with(line, "cuda: ")) return starts_with(line, "cuda: available");
    }
    return false;
  }
  static std::string problem(int ranks) {
    return "allreduce:bytes=4|4100,dtype=fp32,inplace=0,algo=nccl,transport=mpi,ranks=" + std::to_string(ranks);
  }
};

// Without a GPU (or in a build without CUDA) every rank refuses alike: exit
// status 2, rank 0's one message, nothing written, no hang.
TEST_F(MpiNcclAllreduce, WithoutAGpuEveryRankRefusesAndRankZeroSaysWhyOnce) {
  if (cuda_available()) GTEST_SKIP() << "a CUDA device is present";
  expect_mpi_bad_input(mpirun(2, {"--backend", "cuda", "--problem", problem(2)}), {"CUDA"});
}

// On a GPU node (skipped elsewhere): one rank on one GPU, and two ranks on
// two GPUs, verified exactly on every rank; with a single GPU the two ranks
// are skipped, naming the local ranks and the GPUs.
TEST_F(MpiNcclAllreduce, OnGpusEveryRankIsExact) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device (or a build without CUDA)";
  const fs::path one = dir_ / "np1";
  const ProcessResult r1 = mpirun(1, {"--backend", "cuda", "--problem", problem(1)}, one);
  ASSERT_TRUE(exited_with(r1, 0)) << r1.describe();
  expect_collective_results(only_result_file(one, r1), 1, "mpi", {{4, 1, "fp32", "nccl", false},
                                                                  {4100, 1025, "fp32", "nccl", false}});

  const fs::path two = dir_ / "np2";
  const ProcessResult r2 = mpirun(2, {"--backend", "cuda", "--problem", problem(2)}, two);
  ASSERT_TRUE(exited_with(r2, 0)) << r2.describe();
  const json doc = only_result_file(two, r2);
  ASSERT_TRUE(doc.contains("results") && !doc.at("results").empty()) << doc.dump(1);
  const json& first = doc.at("results").at(0);
  if (first.value("status", "") == "skipped") {
    EXPECT_TRUE(contains(first.value("reason", ""), "2 local ranks but 1 GPU visible on")) << first.dump(1);
    return;
  }
  expect_collective_results(doc, 2, "mpi", {{4, 1, "fp32", "nccl", false}, {4100, 1025, "fp32", "nccl", false}});
  EXPECT_TRUE(contains(first.value("implementation", ""), "ncclCommInitRank")) << first.dump(1);
}

// A rank that dies (SIGKILL) or hangs (SIGSTOP) while the job runs: the whole
// job ends, non-zero, with a message, and leaves no process behind.
class MpiAllreduceFault : public MpiAllreduce {
 protected:
  static constexpr long long kBytes = 64ll << 20;
  // Short, to keep the tests short, but not so short that a rank slowed down
  // by a busy machine (ctest -j, sanitizers) is taken for a hung one.
  static constexpr int kCommTimeout = 5;

  struct Outcome {
    ProcessResult result;
    double seconds_after_signal = 0.0;
  };

  // Starts a long run of `problem` (kBytes per rank), waits until rank 1 has
  // its buffers and a little more (the verification run is then done or
  // nearly: the timed phase), sends `signal` to rank 1 and waits for the job.
  Outcome run_and_signal_rank_one(const std::string& problem, int signal) {
    Outcome outcome;
    ChildProcess child(mpirun_argv(2,
                                   {"--problem", problem, "--repetitions", "50", "--min-time", "1", "--warmup-time",
                                    "0", "--comm-timeout", std::to_string(kCommTimeout)},
                                   /*quick=*/false),
                       mpirun_options(120));
    const pid_t rank1 = find_rank(child, 1);
    if (rank1 <= 0) {
      ADD_FAILURE() << "rank 1 of mpirun never appeared (or mpirun ended first)";
      child.kill_session();
      outcome.result = child.wait();
      return outcome;
    }
    // Rank 1 holds input, send copy and receive buffer once prepared: 3 x kBytes.
    const double ready_by = now_s() + 60.0;
    while (child.running() && resident_bytes_of(rank1) < 3 * kBytes && now_s() < ready_by) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_GE(resident_bytes_of(rank1), 3 * kBytes) << "rank 1 never allocated its buffers";
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    if (!child.running()) {
      outcome.result = child.wait();
      ADD_FAILURE() << "the job ended before rank 1 was signalled:\n" << outcome.result.describe();
      expect_no_process_left(child);
      return outcome;
    }

    const double signalled = now_s();
    ::kill(rank1, signal);
    while (child.running() && now_s() - signalled < 30.0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    outcome.seconds_after_signal = now_s() - signalled;
    if (child.running()) child.kill_session();  // the assertion on seconds_after_signal reports it
    outcome.result = child.wait();
    expect_no_process_left(child);
    return outcome;
  }

  // The job ended soon after the hang, non-zero, with trainbench's own time-out message.
  static void expect_ended_by_our_time_out(const Outcome& o) {
    const ProcessResult& r = o.result;
    EXPECT_LT(o.seconds_after_signal, 15.0) << "the job outlived its hung rank:\n" << r.describe();
    EXPECT_TRUE(r.exited && r.exit_code != 0) << r.describe();
    const std::vector<std::string> messages = lines_starting_with(r.err, "trainbench: error: ");
    ASSERT_FALSE(messages.empty()) << "no message of trainbench's own:\n" << r.describe();
    EXPECT_TRUE(contains(messages[0], "--comm-timeout") &&
                contains(messages[0], " " + std::to_string(kCommTimeout) + " s"))
        << messages[0];
  }

  // The trainbench process of `rank` under mpirun `child` (by OMPI_COMM_WORLD_RANK); -1 if none appears.
  static pid_t find_rank(ChildProcess& child, int rank) {
    for (const double until = now_s() + 30.0; now_s() < until && child.running();) {
      for (const pid_t p : child.session_processes()) {
        const std::vector<std::string> cmd = command_line_of(p);
        if (!cmd.empty() && cmd[0] == kTrainbench &&
            environment_of(p, "OMPI_COMM_WORLD_RANK") == std::optional<std::string>(std::to_string(rank))) {
          return p;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
};

// mpirun notices the dead rank first (Open MPI 4.1 exits 137 and names signal 9).
TEST_F(MpiAllreduceFault, MpiRankKilledMidRunEndsTheJob) {
  const Outcome o = run_and_signal_rank_one("allreduce:bytes=64M,ranks=2", SIGKILL);
  const ProcessResult& r = o.result;
  EXPECT_LT(o.seconds_after_signal, 15.0) << "the job outlived its dead rank:\n" << r.describe();
  EXPECT_FALSE(r.exited && r.exit_code == 0) << r.describe();
  EXPECT_FALSE(r.err.empty()) << "no message about the dead rank:\n" << r.describe();
  EXPECT_TRUE(contains(r.err, "signal 9") || contains(r.err, "--comm-timeout") || contains(r.err, "trainbench: error"))
      << r.describe();
}

TEST_F(MpiAllreduceFault, MpiRankStoppedMidRunTimesOutWithCommTimeout) {
  const Outcome o = run_and_signal_rank_one("allreduce:bytes=64M,ranks=2", SIGSTOP);
  EXPECT_GT(o.seconds_after_signal, kCommTimeout - 0.5) << "failed before --comm-timeout elapsed:\n"
                                                        << o.result.describe();
  expect_ended_by_our_time_out(o);
}

// algo=mpi spends most of its time in the blocking MPI_Allreduce, which has no
// time-out of its own: trainbench's watchdog (src/mpi/mpi_world.cpp) ends it.
TEST_F(MpiAllreduceFault, MpiRankStoppedInMpiAllreduceTimesOutWithCommTimeout) {
  const Outcome o = run_and_signal_rank_one("allreduce:bytes=64M,ranks=2,algo=mpi", SIGSTOP);
  expect_ended_by_our_time_out(o);
}

}  // namespace
}  // namespace tbtest
