// End-to-end tests of the trainbench executable: each runs the real binary in
// a child process with a fresh --out directory and checks the exit status,
// stdout, stderr and the result files it leaves behind.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_support.h"

namespace tbtest {
namespace {

constexpr const char* kGemm = "gemm:m=64,n=48,k=32,dtype=fp32";

// The line of a table whose first column is `problem`, split into words; empty when absent.
std::vector<std::string> table_row(const std::string& stdout_text, const std::string& problem) {
  for (const std::string& line : lines_of(stdout_text)) {
    const std::vector<std::string> words = words_of(line);
    if (!words.empty() && words[0] == problem) return words;
  }
  return {};
}

// First column of the data rows of a table (the lines between the units row and "notes:" or "device:").
std::vector<std::string> table_problems(const std::string& stdout_text) {
  std::vector<std::string> problems;
  const std::vector<std::string> lines = lines_of(stdout_text);
  for (std::size_t i = 2; i < lines.size(); ++i) {
    if (lines[i].empty() || starts_with(lines[i], "notes:") || starts_with(lines[i], "device:")) break;
    problems.push_back(words_of(lines[i]).at(0));
  }
  return problems;
}

// The lower-case identifiers in `text`, in order ("m, n, k" -> m n k).
std::vector<std::string> identifiers_in(const std::string& text) {
  std::vector<std::string> ids;
  std::string current;
  for (const char c : text + " ") {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
      current += c;
    } else if (!current.empty()) {
      ids.push_back(std::move(current));
      current.clear();
    }
  }
  return ids;
}

std::vector<std::string> result_problems(const json& doc) {
  std::vector<std::string> problems;
  for (const json& r : doc.at("results")) problems.push_back(r.at("problem").get<std::string>());
  return problems;
}

// ---------------------------------------------------------------------------
// The helpers the tests rely on.

TEST(ProcessHelper, CapturesOutputAndExitStatus) {
  const ProcessResult r = run_process({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_TRUE(exited_with(r, 3));
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(ProcessHelper, ReportsTheSignalThatEndedTheChild) {
  const ProcessResult r = run_process({"/bin/sh", "-c", "kill -INT $$; sleep 5"});
  EXPECT_FALSE(r.exited) << r.describe();
  EXPECT_EQ(r.term_signal, SIGINT) << r.describe();
}

TEST(ProcessHelper, ThrowsWhenTheProgramCannotStart) {
  EXPECT_THROW(run_process({"/nonexistent/trainbench"}), std::runtime_error);
}

TEST(ProcessHelper, SplitsShellWords) {
  EXPECT_EQ(split_shell_words("trainbench run --problem 'gemm:m=1,n=2' a\\ b \"c \\\"d\\\"\" 'it'\\''s'  "),
            (std::vector<std::string>{"trainbench", "run", "--problem", "gemm:m=1,n=2", "a b", "c \"d\"", "it's"}));
  EXPECT_THROW(split_shell_words("run 'open"), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// run: the happy paths

using RunCommand = CliTest;

// Checks that `problem`, the only problem of the run that wrote into `out`,
// was skipped: its table row, a JSON record without samples or timed entries,
// and a note giving the same reason. Returns the recorded reason.
std::string expect_only_skipped(const ProcessResult& r, const fs::path& out, const std::string& problem) {
  const std::vector<std::string> row = table_row(r.out, problem);
  EXPECT_GE(row.size(), 3u) << r.out;
  if (row.size() >= 3) {
    EXPECT_EQ(row[2], "skipped");
  }
  const std::vector<fs::path> files = json_files(out);
  EXPECT_EQ(files.size(), 1u);
  if (files.size() != 1) return {};
  const json doc = read_json(files[0]);
  EXPECT_EQ(doc.at("results").size(), 1u);
  const json& res = doc.at("results").at(0);
  EXPECT_EQ(res.at("status"), "skipped");
  const std::string reason = res.at("reason").get<std::string>();
  EXPECT_TRUE(res.at("samples_s").empty());
  EXPECT_TRUE(doc.at("benchmarks").empty()) << "a skipped problem has no timed entries";
  const std::string notes = r.out.substr(std::min(r.out.find("notes:"), r.out.size()));
  EXPECT_NE(notes.find(problem + ": skipped: " + reason), std::string::npos) << r.out;
  return reason;
}

TEST_F(RunCommand, HappyPathPrintsTableAndWritesResultFile) {
  const ProcessResult r = run_quick({"--backend", "cpu", "--problem", "gemm:m=64,n=48,k=32"});
  ASSERT_TRUE(exited_with(r, 0));

  // stdout: header, units row, the problem's row, and where the results went.
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_GE(lines.size(), 4u) << r.out;
  const std::vector<std::string> header = words_of(lines[0]);
  ASSERT_GE(header.size(), 3u) << r.out;
  EXPECT_EQ(header[0], "problem");
  EXPECT_EQ(header[1], "backend");
  EXPECT_EQ(header[2], "status");
  for (const char* title : {"time", "throughput", "bandwidth"}) {
    EXPECT_NE(std::find(header.begin(), header.end(), title), header.end())
        << "header lacks " << title << ":\n" << r.out;
  }
  const std::vector<std::string> units = words_of(lines[1]);
  for (const char* unit : {"ms", "TFLOP/s", "GB/s"}) {
    EXPECT_NE(std::find(units.begin(), units.end(), unit), units.end()) << "units row lacks " << unit << ":\n" << r.out;
  }
  const std::vector<std::string> row = table_row(r.out, kGemm);
  ASSERT_GE(row.size(), 3u) << "no row for " << kGemm << ":\n" << r.out;
  EXPECT_EQ(row[1], "cpu");
  EXPECT_EQ(row[2], "passed");

  // Exactly one file in --out, and it is the one stdout names.
  const std::vector<fs::path> files = files_under(out_);
  ASSERT_EQ(files.size(), 1u) << "files in --out: " << ::testing::PrintToString(files);
  ASSERT_EQ(files[0].extension(), ".json");
  std::string printed_path;
  for (const std::string& line : lines) {
    if (starts_with(line, "results: ")) printed_path = line.substr(9);
  }
  ASSERT_FALSE(printed_path.empty()) << "no 'results: PATH' line:\n" << r.out;
  EXPECT_TRUE(fs::equivalent(printed_path, files[0])) << printed_path << " vs " << files[0];

  const json doc = read_json(files[0]);
  const json& tb = doc.at("context").at("trainbench");
  EXPECT_EQ(tb.at("schema_version"), 1);
  EXPECT_EQ(tb.at("backend"), "cpu");
  const json& props = tb.at("device").at("properties");
  ASSERT_TRUE(props.contains("blas_config")) << props.dump(2);
  EXPECT_NE(props.at("blas_config").get<std::string>().find("OpenBLAS"), std::string::npos) << props.dump(2);

  // Google Benchmark-shaped entries: the repetitions and the aggregates.
  const json& benchmarks = doc.at("benchmarks");
  ASSERT_TRUE(benchmarks.is_array());
  int iterations = 0, medians = 0;
  for (const json& b : benchmarks) {
    EXPECT_TRUE(b.at("name").is_string() && !b.at("name").get<std::string>().empty()) << b.dump(2);
    const std::string run_type = b.at("run_type").get<std::string>();
    EXPECT_TRUE(run_type == "iteration" || run_type == "aggregate") << b.dump(2);
    EXPECT_TRUE(b.at("real_time").is_number()) << b.dump(2);
    EXPECT_EQ(b.at("time_unit"), "ns") << "Google Benchmark's default, which compare.py prints in whole units";
    EXPECT_EQ(b.at("problem"), kGemm);
    EXPECT_EQ(b.at("backend"), "cpu");
    if (run_type == "iteration") {
      ++iterations;
      EXPECT_GT(b.at("real_time").get<double>(), 0.0);
    } else if (b.value("aggregate_name", "") == "median") {
      ++medians;
    }
  }
  EXPECT_EQ(iterations, 2);
  EXPECT_EQ(medians, 1);

  const json& results = doc.at("results");
  ASSERT_EQ(results.size(), 1u);
  const json& res = results[0];
  EXPECT_EQ(res.at("problem"), kGemm);
  EXPECT_EQ(res.at("status"), "passed");
  EXPECT_EQ(res.at("verification").at("passed"), true);
  EXPECT_EQ(res.at("flop").get<double>(), 2.0 * 64 * 48 * 32);
  EXPECT_GT(res.at("flop_per_s").get<double>(), 0.0);
  ASSERT_EQ(res.at("samples_s").size(), 2u);
  for (const json& s : res.at("samples_s")) EXPECT_GT(s.get<double>(), 0.0);
  const std::string reproducer = res.at("reproducer").get<std::string>();
  EXPECT_NE(reproducer.find("--problem 'gemm:m=64,n=48,k=32,dtype=fp32'"), std::string::npos) << reproducer;
}

TEST_F(RunCommand, ReproducerReproduces) {
  const fs::path first = make_result_file(out_, "gemm:m=64,n=48,k=32");
  ASSERT_FALSE(first.empty());
  const std::string reproducer = read_json(first).at("results").at(0).at("reproducer").get<std::string>();

  std::vector<std::string> words = split_shell_words(reproducer);
  ASSERT_GE(words.size(), 2u) << reproducer;
  ASSERT_EQ(words[0], "trainbench") << reproducer;
  words.erase(words.begin());
  // Run it exactly as printed (so its results go to ./results of its working directory).
  const fs::path cwd = dir_ / "repro";
  fs::create_directory(cwd);
  ProcessOptions options;
  options.cwd = cwd.string();
  const ProcessResult r = trainbench(words, options);
  ASSERT_TRUE(exited_with(r, 0)) << "reproducer: " << reproducer;
  const std::vector<std::string> row = table_row(r.out, kGemm);
  ASSERT_GE(row.size(), 3u) << r.out;
  EXPECT_EQ(row[2], "passed");

  const std::vector<fs::path> files = json_files(cwd / "results");
  ASSERT_EQ(files.size(), 1u);
  const json again = read_json(files[0]);
  ASSERT_EQ(again.at("results").size(), 1u);
  EXPECT_EQ(again.at("results")[0].at("problem"), kGemm);
  EXPECT_EQ(again.at("results")[0].at("status"), "passed");
  // Same options, so the reproducer of the reproduction is the same command.
  EXPECT_EQ(again.at("results")[0].at("reproducer"), reproducer);
}

TEST_F(RunCommand, CsvFormatHasUnitBearingColumnsAndOneRowPerProblem) {
  const ProcessResult r =
      run_quick({"--problem", "gemm:m=16,n=16,k=16", "--problem", "gemm:m=32,n=16,k=8", "--format", "csv"});
  ASSERT_TRUE(exited_with(r, 0));
  const std::vector<std::vector<std::string>> rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 3u) << "expected a header and 2 rows:\n" << r.out;
  const std::vector<std::string>& header = rows[0];
  for (const char* name : {"problem", "status", "time_median_ms", "tflop_per_s", "gbyte_per_s", "reproducer"}) {
    EXPECT_NE(std::find(header.begin(), header.end(), name), header.end()) << "no column " << name << ":\n" << r.out;
  }
  for (const std::string& name : header) {
    EXPECT_NE(name, "time") << "a time column without its unit";
    EXPECT_NE(name, "throughput") << "a throughput column without its unit";
  }
  const std::size_t problem = column(header, "problem"), status = column(header, "status"),
                    median = column(header, "time_median_ms"), tflops = column(header, "tflop_per_s");
  const std::vector<std::string> expected = {"gemm:m=16,n=16,k=16,dtype=fp32", "gemm:m=32,n=16,k=8,dtype=fp32"};

  const std::vector<fs::path> files = json_files(out_);
  ASSERT_EQ(files.size(), 1u);
  const json doc = read_json(files[0]);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::vector<std::string>& row = rows[i + 1];
    ASSERT_EQ(row.size(), header.size()) << "row " << i + 1 << ":\n" << r.out;
    EXPECT_EQ(row[problem], expected[i]);
    EXPECT_EQ(row[status], "passed");
    EXPECT_GT(std::stod(row[median]), 0.0);
    // The CSV's unit is the one its name says: TFLOP/s of the file's FLOP/s.
    const double file_tflops = doc.at("results")[i].at("flop_per_s").get<double>() / 1e12;
    EXPECT_NEAR(std::stod(row[tflops]), file_tflops, 1e-4 * file_tflops) << row[tflops];
  }
}

TEST_F(RunCommand, JsonFormatPrintsTheResultDocument) {
  const ProcessResult r = run_quick({"--problem", "gemm:m=32,n=16,k=8", "--format", "json"});
  ASSERT_TRUE(exited_with(r, 0));
  const json printed = json::parse(r.out);  // throws (fails the test) when stdout is not one JSON document
  const std::vector<fs::path> files = json_files(out_);
  ASSERT_EQ(files.size(), 1u);
  const json file = read_json(files[0]);
  ASSERT_TRUE(printed.contains("context") && printed.contains("benchmarks") && printed.contains("results"));
  EXPECT_EQ(printed, file);
}

TEST_F(RunCommand, SweepRunsProblemsRightmostKeyFastest) {
  const ProcessResult r = run_quick({"--problem", "gemm:m=16|32,n=16,k=8:16:*2"});
  ASSERT_TRUE(exited_with(r, 0));
  const std::vector<std::string> expected = {
      "gemm:m=16,n=16,k=8,dtype=fp32",
      "gemm:m=16,n=16,k=16,dtype=fp32",
      "gemm:m=32,n=16,k=8,dtype=fp32",
      "gemm:m=32,n=16,k=16,dtype=fp32",
  };
  EXPECT_EQ(table_problems(r.out), expected) << r.out;
  const std::vector<fs::path> files = json_files(out_);
  ASSERT_EQ(files.size(), 1u);
  const json doc = read_json(files[0]);
  EXPECT_EQ(result_problems(doc), expected);
  for (const json& res : doc.at("results")) EXPECT_EQ(res.at("status"), "passed") << res.dump(2);
}

TEST_F(RunCommand, SuiteFileWithCommentsAndBlankLines) {
  const fs::path suite = dir_ / "two.suite";
  write_text(suite,
             "# trainbench CLI test suite\n"
             "\n"
             "gemm:m=16,n=16,k=16   # a trailing comment\n"
             "   \n"
             "\t# an indented comment\n"
             "gemm:m=32,n=16,k=8\n");
  const ProcessResult r = run_quick({"--suite", suite.string()});
  ASSERT_TRUE(exited_with(r, 0));
  const std::vector<std::string> expected = {"gemm:m=16,n=16,k=16,dtype=fp32", "gemm:m=32,n=16,k=8,dtype=fp32"};
  EXPECT_EQ(table_problems(r.out), expected) << r.out;
  const std::vector<fs::path> files = json_files(out_);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(result_problems(read_json(files[0])), expected);
}

TEST_F(RunCommand, UnsupportedProblemIsSkippedWithAReason) {
  const std::string problem = "gemm:m=16,n=16,k=16,dtype=bf16";
  const ProcessResult r = run_quick({"--backend", "cpu-eigen", "--problem", problem});
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_EQ(table_row(r.out, problem).at(1), "cpu-eigen");
  EXPECT_FALSE(expect_only_skipped(r, out_, problem).empty());
}

TEST_F(RunCommand, Fp8GemmOnTheCpuIsSkippedNotFailed) {
  const std::string problem = "gemm:m=16,n=16,k=16,tb=1,dtype=fp8";
  const ProcessResult r = run_quick({"--backend", "cpu", "--problem", problem});
  ASSERT_TRUE(exited_with(r, 0));
  const std::string reason = expect_only_skipped(r, out_, problem);
  EXPECT_NE(reason.find("fp8 GEMM is not supported on CPUs"), std::string::npos) << reason;
}

TEST_F(RunCommand, SecondRunIntoTheSameDirectoryKeepsTheFirst) {
  // Result files are named by the second they were started in: two quick runs
  // usually share it, and the second must not overwrite the first.
  const fs::path first = make_result_file(out_, "gemm:m=16,n=16,k=16");
  ASSERT_FALSE(first.empty());
  const std::string first_text = read_text(first);
  const ProcessResult r = run_quick({"--problem", "gemm:m=32,n=16,k=8"});
  ASSERT_TRUE(exited_with(r, 0));
  const std::vector<fs::path> files = json_files(out_);
  ASSERT_EQ(files.size(), 2u) << ::testing::PrintToString(files);
  EXPECT_EQ(read_text(first), first_text);
  std::vector<std::string> problems;
  for (const fs::path& f : files) problems.push_back(read_json(f).at("results").at(0).at("problem"));
  std::sort(problems.begin(), problems.end());
  EXPECT_EQ(problems, (std::vector<std::string>{"gemm:m=16,n=16,k=16,dtype=fp32", "gemm:m=32,n=16,k=8,dtype=fp32"}));
}

// ---------------------------------------------------------------------------
// list and show

using ListShow = CliTest;

TEST_F(ListShow, ListBackendsShowsTheCpuBackendsAvailable) {
  const ProcessResult r = trainbench({"list", "backends"});
  ASSERT_TRUE(exited_with(r, 0));
  for (const std::string name : {"cpu", "cpu-eigen", "cpu-onednn"}) {
    bool found = false;
    for (const std::string& line : lines_of(r.out)) found |= starts_with(line, name + ": available");
    EXPECT_TRUE(found) << name << " is not listed as available:\n" << r.out;
  }
}

TEST_F(ListShow, ListKernelsShowsGemmWithAnExample) {
  const ProcessResult r = trainbench({"list", "kernels"});
  ASSERT_TRUE(exited_with(r, 0));
  const std::vector<std::string> lines = lines_of(r.out);
  const auto gemm =
      std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return starts_with(l, "gemm: "); });
  ASSERT_NE(gemm, lines.end()) << r.out;
  bool example = false;
  for (auto it = gemm; it != lines.end(); ++it) {
    const std::size_t at = it->find("example: ");
    if (at != std::string::npos) {
      example = starts_with(it->substr(at + 9), "gemm:");
      break;
    }
  }
  EXPECT_TRUE(example) << "no 'example: gemm:...' after the gemm entry:\n" << r.out;
}

TEST_F(ListShow, ShowPrintsTheTableRunPrinted) {
  const ProcessResult run = run_quick({"--problem", "gemm:m=16|32,n=16,k=16"});
  ASSERT_TRUE(exited_with(run, 0));
  const std::vector<fs::path> files = json_files(out_);
  ASSERT_EQ(files.size(), 1u);
  const ProcessResult show = trainbench({"show", files[0].string()});
  ASSERT_TRUE(exited_with(show, 0));
  const std::vector<std::string> expected = {"gemm:m=16,n=16,k=16,dtype=fp32", "gemm:m=32,n=16,k=16,dtype=fp32"};
  EXPECT_EQ(table_problems(show.out), expected) << show.out;
  // run prints the table and then the device and results lines; show reads
  // the table back from the file, so it must print the same table.
  EXPECT_TRUE(starts_with(run.out, show.out)) << "run printed:\n" << run.out << "show printed:\n" << show.out;
}

TEST_F(ListShow, ShowCsvEqualsTheCsvRunPrinted) {
  const ProcessResult run = run_quick({"--problem", "gemm:m=16|32,n=16,k=16", "--format", "csv"});
  ASSERT_TRUE(exited_with(run, 0));
  const std::vector<fs::path> files = json_files(out_);
  ASSERT_EQ(files.size(), 1u);
  const ProcessResult show = trainbench({"show", files[0].string(), "--format", "csv"});
  ASSERT_TRUE(exited_with(show, 0));
  EXPECT_TRUE(starts_with(show.out, "problem,")) << show.out;
  EXPECT_EQ(parse_csv(show.out).size(), 3u) << show.out;
  EXPECT_EQ(show.out, run.out);
}

TEST_F(ListShow, ShowJsonEqualsTheFile) {
  const fs::path file = make_result_file(out_);
  ASSERT_FALSE(file.empty());
  const ProcessResult show = trainbench({"show", file.string(), "--format", "json"});
  ASSERT_TRUE(exited_with(show, 0));
  EXPECT_EQ(json::parse(show.out), read_json(file));
}

// ---------------------------------------------------------------------------
// Bad input: exit status 2, one message naming the bad value, nothing written.

using BadInput = CliTest;

TEST_F(BadInput, UnknownBackendListsKnownBackends) {
  expect_bad_input(run_quick({"--backend", "nosuchdevice", "--problem", "gemm:m=16,n=16,k=16"}),
                   {"nosuchdevice", "cpu", "cpu-eigen", "cpu-onednn"});
}

TEST_F(BadInput, UnknownKernel) {
  expect_bad_input(run_quick({"--problem", "convolution:m=16"}), {"'convolution'", "gemm"});
}

TEST_F(BadInput, UnknownKeyListsAcceptedKeys) {
  const ProcessResult r = run_quick({"--problem", "gemm:m=16,n=16,k=16,batch=4"});
  expect_bad_input(r, {"'batch'"});
  const std::string accepted = r.err.substr(std::min(r.err.find("'batch'") + 7, r.err.size()));
  const std::vector<std::string> listed = identifiers_in(accepted);
  for (const char* key : {"m", "n", "k", "ta", "tb", "dtype"}) {
    EXPECT_NE(std::find(listed.begin(), listed.end(), key), listed.end())
        << "accepted key " << key << " not listed:\n" << r.err;
  }
}

TEST_F(BadInput, ProblemWithoutKernelPrefix) {
  expect_bad_input(run_quick({"--problem", "gemm,m=16,n=16,k=16"}), {"gemm,m=16,n=16,k=16", "kernel"});
}

TEST_F(BadInput, NegativeSize) { expect_bad_input(run_quick({"--problem", "gemm:m=-5,n=16,k=16"}), {"m=-5"}); }

TEST_F(BadInput, NonNumericSize) { expect_bad_input(run_quick({"--problem", "gemm:m=abc,n=16,k=16"}), {"m=abc"}); }

TEST_F(BadInput, ZeroSize) { expect_bad_input(run_quick({"--problem", "gemm:m=0,n=16,k=16"}), {"m=0"}); }

TEST_F(BadInput, BadValueInsideASweep) {
  expect_bad_input(run_quick({"--problem", "gemm:m=16|x,n=16,k=16"}), {"m=x"});
}

TEST_F(BadInput, ProblemTooLargeForMemoryIsRefusedBeforeAllocating) {
  const ProcessResult r = run_quick({"--problem", "gemm:m=1000000,n=1000000,k=1000000"});
  expect_bad_input(r, {"gemm:m=1000000,n=1000000,k=1000000", "bytes"});
  // A, B and C alone are 3 * 10^12 fp32 values; the message names at least that.
  const std::size_t bytes = r.err.find(" bytes");
  ASSERT_NE(bytes, std::string::npos) << r.err;
  std::size_t digits = bytes;
  while (digits > 0 && std::isdigit(static_cast<unsigned char>(r.err[digits - 1]))) --digits;
  ASSERT_LT(digits, bytes) << "no number before ' bytes':\n" << r.err;
  EXPECT_GE(std::stod(r.err.substr(digits, bytes - digits)), 3e12 * 4) << r.err;

  // Refused before allocating: about as quick as an error found just after the
  // memory check (an --out that cannot be created), which also creates the
  // backend and reads the device (slow in sanitizer builds), but allocates nothing.
  const fs::path file = dir_ / "OUTFILE";
  write_text(file, "");
  std::vector<std::string> argv = {"run", "--problem", "gemm:m=16,n=16,k=16", "--out", (file / "sub").string()};
  argv.insert(argv.end(), kQuick.begin(), kQuick.end());
  const ProcessResult baseline = trainbench(argv);
  ASSERT_TRUE(exited_with(baseline, 2));
  EXPECT_LT(r.seconds, 2.0 * baseline.seconds + 5.0)
      << "refusing took " << r.seconds << " s, an error after the memory check " << baseline.seconds << " s";
}

TEST_F(BadInput, OutUnderARegularFile) {
  const fs::path file = dir_ / "OUTFILE";
  write_text(file, "");
  std::vector<std::string> argv = {"run", "--problem", "gemm:m=16,n=16,k=16", "--out", (file / "sub").string()};
  argv.insert(argv.end(), kQuick.begin(), kQuick.end());
  expect_bad_input(trainbench(argv), {(file / "sub").string()}, false, {file});
  EXPECT_EQ(fs::file_size(file), 0u);
}

TEST_F(BadInput, OutNotWritable) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can write to a 0555 directory";
  const fs::path ro = dir_ / "readonly";
  fs::create_directory(ro);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read | fs::perms::group_exec |
                          fs::perms::others_read | fs::perms::others_exec);
  std::vector<std::string> argv = {"run", "--problem", "gemm:m=16,n=16,k=16", "--out", ro.string()};
  argv.insert(argv.end(), kQuick.begin(), kQuick.end());
  expect_bad_input(trainbench(argv), {ro.string()});
  std::vector<std::string> nested = {"run", "--problem", "gemm:m=16,n=16,k=16", "--out", (ro / "sub").string()};
  nested.insert(nested.end(), kQuick.begin(), kQuick.end());
  expect_bad_input(trainbench(nested), {(ro / "sub").string()});
}

TEST_F(BadInput, MissingSuiteFile) {
  const std::string missing = (dir_ / "no-such.suite").string();
  expect_bad_input(run_quick({"--suite", missing}), {missing});
}

TEST_F(BadInput, SuiteWithMalformedLineNamesFileAndLine) {
  const fs::path suite = dir_ / "broken.suite";
  write_text(suite,
             "# line 1 is a comment\n"
             "gemm:m=16,n=16,k=16\n"
             "gemm:m=16,n=16,k=oops\n"
             "gemm:m=32,n=32,k=32\n");
  expect_bad_input(run_quick({"--suite", suite.string()}), {suite.string(), "line 3", "k=oops"}, false, {suite});
}

TEST_F(BadInput, SuiteWithNoProblems) {
  const fs::path suite = dir_ / "empty.suite";
  write_text(suite, "# only comments\n\n   # and blanks\n");
  expect_bad_input(run_quick({"--suite", suite.string()}), {suite.string(), "no problems"}, false, {suite});
}

TEST_F(BadInput, ZeroRepetitions) {
  expect_bad_input(
      trainbench({"run", "--problem", "gemm:m=16,n=16,k=16", "--out", out_.string(), "--repetitions", "0"}),
      {"--repetitions 0 "});
}

TEST_F(BadInput, NegativeMinTime) {
  expect_bad_input(trainbench({"run", "--problem", "gemm:m=16,n=16,k=16", "--out", out_.string(), "--min-time", "-1"}),
                   {"--min-time -1 "});
}

TEST_F(BadInput, NegativeWarmupTime) {
  expect_bad_input(
      trainbench({"run", "--problem", "gemm:m=16,n=16,k=16", "--out", out_.string(), "--warmup-time", "-0.5"}),
      {"--warmup-time -0.5 "});
}

TEST_F(BadInput, NonNumericRepetitionsIsAnOptionParsingError) {
  expect_bad_input(
      trainbench({"run", "--problem", "gemm:m=16,n=16,k=16", "--out", out_.string(), "--repetitions", "many"}),
      {"--repetitions", "many"}, true);
}

TEST_F(BadInput, NegativeSeed) {
  // An unsigned option must not wrap -1 around to 2^64-1.
  expect_bad_input(trainbench({"run", "--problem", "gemm:m=16,n=16,k=16", "--out", out_.string(), "--seed", "-1"}),
                   {"--seed", "-1"}, true);
}

TEST_F(BadInput, UnknownFormat) {
  expect_bad_input(run_quick({"--problem", "gemm:m=16,n=16,k=16", "--format", "xml"}), {"xml"}, true);
}


TEST_F(BadInput, UnknownSubcommand) {
  const ProcessResult r = trainbench({"frobnicate"});
  EXPECT_TRUE(exited_with(r, 2));
  EXPECT_NE(r.err.find("frobnicate"), std::string::npos) << "stderr does not name the subcommand:\n" << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(files_under(dir_).empty());
}

TEST_F(BadInput, ShowAFileThatIsNotJson) {
  const fs::path file = dir_ / "notes.json";
  write_text(file, "this is not JSON {\n");
  expect_bad_input(trainbench({"show", file.string()}), {file.string(), "JSON"}, false, {file});
}

TEST_F(BadInput, ShowAMissingFile) {
  const std::string missing = (dir_ / "missing.json").string();
  expect_bad_input(trainbench({"show", missing}), {missing});
}

TEST_F(BadInput, ShowAResultFileMissingAFieldNamesTheField) {
  const fs::path good = make_result_file(dir_ / "made");
  ASSERT_FALSE(good.empty());
  const json doc = read_json(good);
  fs::remove_all(dir_ / "made");

  struct Case {
    const char* name;
    json doc;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({"no-flop.json", doc, "results[0].flop"});
  cases.back().doc["results"][0].erase("flop");
  cases.push_back({"no-backend.json", doc, "trainbench.backend"});
  cases.back().doc["context"]["trainbench"].erase("backend");
  cases.push_back({"no-results.json", doc, "results"});
  cases.back().doc.erase("results");
  cases.push_back({"no-time-unit.json", doc, "benchmarks[0].time_unit"});
  cases.back().doc["benchmarks"][0].erase("time_unit");

  std::vector<fs::path> written;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path file = dir_ / c.name;
    write_text(file, c.doc.dump(2));
    written.push_back(file);
    expect_bad_input(trainbench({"show", file.string()}), {file.string(), c.field}, false, written);
  }
}

// ---------------------------------------------------------------------------
// Attention through the CLI.

using AttentionCli = CliTest;

// The (query, key) pairs one head attends, counted pair by pair: every pair
// without the mask; under it, key j is visible to query i iff
// j <= i + (skv - sq) (aligned bottom-right, as FlashAttention 2 does).
double attended_pairs(long sq, long skv, bool causal) {
  double pairs = 0;
  for (long i = 0; i < sq; ++i) {
    for (long j = 0; j < skv; ++j) pairs += (!causal || j <= i + (skv - sq)) ? 1 : 0;
  }
  return pairs;
}

TEST_F(AttentionCli, HappyPathPassesWithTheCanonicalStringAndFlop) {
  const std::string canonical = "attention:b=1,h=2,kvh=1,sq=33,skv=65,d=16,causal=1,dtype=fp32,pass=fwdbwd";
  const ProcessResult r = run_quick({"--problem", "attention:b=1,h=2,kvh=1,sq=33,skv=65,d=16,causal=1,pass=fwdbwd"});
  ASSERT_TRUE(exited_with(r, 0));
  const std::vector<std::string> row = table_row(r.out, canonical);
  ASSERT_GE(row.size(), 3u) << "no row for " << canonical << ":\n" << r.out;
  EXPECT_EQ(row[1], "cpu");
  EXPECT_EQ(row[2], "passed");

  const std::vector<fs::path> files = json_files(out_);
  ASSERT_EQ(files.size(), 1u);
  const json doc = read_json(files[0]);
  ASSERT_EQ(doc.at("results").size(), 1u);
  const json& res = doc.at("results")[0];
  EXPECT_EQ(res.at("problem"), canonical);
  EXPECT_EQ(res.at("kernel"), "attention");
  EXPECT_EQ(res.at("dtype"), "fp32");
  EXPECT_EQ(res.at("status"), "passed");
  EXPECT_EQ(res.at("verification").at("passed"), true) << res.dump(2);
  // 33 query rows against 65 keys, causal: row i sees keys 0 .. i + 32.
  const double pairs = attended_pairs(33, 65, true);
  ASSERT_EQ(pairs, 33.0 * 33.0 + 32.0 * 33.0 / 2.0);
  EXPECT_EQ(res.at("flop").get<double>(), 3.5 * 4.0 * 1 * 2 * pairs * 16);
  EXPECT_GT(res.at("flop_per_s").get<double>(), 0.0);
  ASSERT_EQ(res.at("samples_s").size(), 2u);
  for (const json& s : res.at("samples_s")) EXPECT_GT(s.get<double>(), 0.0);
  const std::string reproducer = res.at("reproducer").get<std::string>();
  EXPECT_NE(reproducer.find("--problem '" + canonical + "'"), std::string::npos) << reproducer;
  int iterations = 0;
  for (const json& b : doc.at("benchmarks")) {
    EXPECT_EQ(b.at("problem"), canonical);
    if (b.at("run_type") == "iteration") ++iterations;
  }
  EXPECT_EQ(iterations, 2);
}

TEST_F(AttentionCli, SweepOverPasses) {
  const ProcessResult r = run_quick({"--problem", "attention:b=1,h=2,sq=17,skv=9,d=16,causal=0|1,pass=fwd|bwd"});
  ASSERT_TRUE(exited_with(r, 0));
  const std::string head = "attention:b=1,h=2,kvh=2,sq=17,skv=9,d=16,";
  const std::vector<std::string> expected = {
      head + "causal=0,dtype=fp32,pass=fwd",
      head + "causal=0,dtype=fp32,pass=bwd",
      head + "causal=1,dtype=fp32,pass=fwd",
      head + "causal=1,dtype=fp32,pass=bwd",
  };
  EXPECT_EQ(table_problems(r.out), expected) << r.out;
  const std::vector<fs::path> files = json_files(out_);
  ASSERT_EQ(files.size(), 1u);
  const json doc = read_json(files[0]);
  EXPECT_EQ(result_problems(doc), expected);
  for (std::size_t i = 0; i < expected.size() && i < doc.at("results").size(); ++i) {
    const json& res = doc.at("results")[i];
    EXPECT_EQ(res.at("status"), "passed") << res.dump(2);
    EXPECT_EQ(res.at("verification").at("passed"), true) << res.dump(2);
    const bool causal = i >= 2, bwd = i % 2 == 1;
    EXPECT_EQ(res.at("flop").get<double>(), (bwd ? 2.5 : 1.0) * 4.0 * 2 * attended_pairs(17, 9, causal) * 16)
        << expected[i];
  }
}

TEST_F(AttentionCli, HeadDimensionTooLargeIsSkippedNotBadInput) {
  const std::string problem = "attention:b=1,h=1,kvh=1,sq=8,skv=8,d=512,causal=0,dtype=fp32,pass=fwd";
  const ProcessResult r = run_quick({"--problem", "attention:b=1,h=1,sq=8,d=512"});
  ASSERT_TRUE(exited_with(r, 0));
  const std::string reason = expect_only_skipped(r, out_, problem);
  EXPECT_NE(reason.find("d=512"), std::string::npos) << reason;
}

TEST_F(BadInput, AttentionHeadsNotAMultipleOfKvHeads) {
  expect_bad_input(run_quick({"--problem", "attention:b=1,h=6,kvh=4,sq=8,d=16"}), {"'h=6'", "'kvh=4'", "multiple"});
}

TEST_F(BadInput, AttentionZeroSequenceLength) {
  expect_bad_input(run_quick({"--problem", "attention:b=1,h=2,sq=0,d=16"}), {"'sq=0'"});
}

TEST_F(BadInput, AttentionUnknownPassListsThePasses) {
  expect_bad_input(run_quick({"--problem", "attention:b=1,h=2,sq=8,d=16,pass=sideways"}),
                   {"'pass=sideways'", "fwd,", "bwd,", "fwdbwd"});
}

TEST_F(BadInput, AttentionTooLargeForMemoryIsRefusedBeforeAllocating) {
  const std::string problem = "attention:b=1024,h=128,sq=1M,d=128";
  const ProcessResult r = run_quick({"--problem", problem});
  expect_bad_input(r, {"attention:b=1024,h=128,kvh=128,sq=1048576,skv=1048576,d=128", "bytes"});
  // q, k, v and o are 2^44 fp32 values each, lse 2^37; the host holds them and
  // the CPU workload its own copies: 2 * (4 * 2^46 + 2^39) bytes.
  const std::size_t bytes = r.err.find(" bytes");
  ASSERT_NE(bytes, std::string::npos) << r.err;
  std::size_t digits = bytes;
  while (digits > 0 && std::isdigit(static_cast<unsigned char>(r.err[digits - 1]))) --digits;
  ASSERT_LT(digits, bytes) << "no number before ' bytes':\n" << r.err;
  const long long tensor = 1024LL * 128 * 1048576 * 128 * 4, lse = 1024LL * 128 * 1048576 * 4;
  EXPECT_EQ(r.err.substr(digits, bytes - digits), std::to_string(2 * (4 * tensor + lse))) << r.err;

  // Refused before allocating: about as quick as an error found just after the memory check.
  const fs::path file = dir_ / "OUTFILE";
  write_text(file, "");
  std::vector<std::string> argv = {"run", "--problem", "attention:b=1,h=1,sq=8,d=16", "--out", (file / "sub").string()};
  argv.insert(argv.end(), kQuick.begin(), kQuick.end());
  const ProcessResult baseline = trainbench(argv);
  ASSERT_TRUE(exited_with(baseline, 2));
  EXPECT_LT(r.seconds, 2.0 * baseline.seconds + 5.0)
      << "refusing took " << r.seconds << " s, an error after the memory check " << baseline.seconds << " s";
}

// ---------------------------------------------------------------------------
// An interrupted sweep keeps what it completed: the file is rewritten
// (atomically) after every problem, so a kill at any moment leaves a complete
// JSON document.

using Interrupt = CliTest;

const std::vector<std::string> kSmall = {"gemm:m=32,n=32,k=32,dtype=fp32", "gemm:m=48,n=32,k=32,dtype=fp32",
                                         "gemm:m=64,n=32,k=32,dtype=fp32"};
const std::string kLarge = "gemm:m=1536,n=1536,k=1536,dtype=fp32";

// Starts the sweep (3 small problems, then a large one), waits until the result
// file holds at least `completed` results, sends `signal`, and checks what is left.
void interrupt_sweep(const fs::path& out, int signal, std::size_t completed) {
  std::vector<std::string> argv = {kTrainbench, "run",          "--problem",     "gemm:m=32|48|64,n=32,k=32",
                                   "--problem", kLarge,         "--out",         out.string(),
                                   "--repetitions", "5",        "--min-time",    "0.05",
                                   "--warmup-time", "0"};
  ChildProcess child(argv);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  fs::path file;
  while (true) {
    const std::vector<fs::path> files = json_files(out);
    if (!files.empty()) {
      file = files[0];
      // Renamed into place whole: any read sees a complete document.
      const json doc = read_json(file);
      if (doc.at("results").size() >= completed) break;
    }
    if (!child.running()) {
      const ProcessResult r = child.wait();
      FAIL() << "trainbench ended before it could be interrupted: " << r.describe();
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no result file with " << completed << " results";
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  child.send_signal(signal);
  const ProcessResult r = child.wait();
  ASSERT_FALSE(r.timed_out) << r.describe();
  EXPECT_FALSE(r.exited && r.exit_code == 0) << "the sweep was not interrupted: " << r.describe();
  if (!r.exited) {
    EXPECT_EQ(r.term_signal, signal) << r.describe();
  }

  const std::vector<fs::path> files = json_files(out);
  ASSERT_EQ(files.size(), 1u);
  json doc;
  ASSERT_NO_THROW(doc = read_json(files[0])) << "the result file is not complete JSON";
  const std::vector<std::string> problems = result_problems(doc);
  ASSERT_GE(problems.size(), completed);
  std::vector<std::string> plan = kSmall;
  plan.push_back(kLarge);
  ASSERT_LE(problems.size(), plan.size());
  EXPECT_EQ(problems, std::vector<std::string>(plan.begin(), plan.begin() + static_cast<long>(problems.size())));
  for (const json& res : doc.at("results")) {
    EXPECT_EQ(res.at("status"), "passed") << res.dump(2);
    EXPECT_EQ(res.at("samples_s").size(), 5u) << res.dump(2);
  }
  for (const json& b : doc.at("benchmarks")) {
    EXPECT_NE(std::find(problems.begin(), problems.end(), b.at("problem").get<std::string>()), problems.end());
  }
  // And trainbench itself reads it back.
  const ProcessResult show = run_process({kTrainbench, "show", files[0].string()});
  EXPECT_TRUE(exited_with(show, 0));
  EXPECT_EQ(table_problems(show.out), problems);
}

TEST_F(Interrupt, SigintAfterFirstProblemKeepsCompletedResults) { interrupt_sweep(out_, SIGINT, 1); }

TEST_F(Interrupt, SigkillDuringLargeProblemKeepsSmallResults) {
  interrupt_sweep(out_, SIGKILL, kSmall.size());
}

}  // namespace
}  // namespace tbtest
