// Shared fixture and helpers of the CLI tests: every test gets a fresh
// temporary directory, runs the real trainbench executable in a child
// process, and inspects stdout, stderr, the exit status and the files written.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "run_process.h"
#include "support/csv.h"       // parse_csv, column
#include "support/temp_dir.h"  // TempDir
#include "support/text.h"      // lines_of

#ifndef TRAINBENCH_EXE
#error "TRAINBENCH_EXE must name the trainbench executable (set by tests/cli/CMakeLists.txt)"
#endif

// Set for every CLI test by tests/cli/CMakeLists.txt.
#ifndef TRAINBENCH_TEST_DATA_DIR
#error "TRAINBENCH_TEST_DATA_DIR must name tests/data (set by tests/cli/CMakeLists.txt)"
#endif
#ifndef TRAINBENCH_CATALOG
#error "TRAINBENCH_CATALOG must name the shipped instances.csv (set by tests/cli/CMakeLists.txt)"
#endif

namespace tbtest {

namespace fs = std::filesystem;
using nlohmann::json;

inline constexpr const char* kTrainbench = TRAINBENCH_EXE;

// Small and quick: every CLI test that times something uses these.
inline const std::vector<std::string> kQuick = {"--repetitions", "2", "--min-time", "0.01", "--warmup-time", "0"};

std::vector<std::string> words_of(const std::string& line);  // split on blanks
bool starts_with(const std::string& s, const std::string& prefix);
// The words of the first line of `table` whose first word is `first`; empty when there is none.
std::vector<std::string> row_starting(const std::string& table, const std::string& first);

// Regular files under `dir`, recursively, sorted; empty when `dir` does not exist.
std::vector<fs::path> files_under(const fs::path& dir);
// Regular files directly in `dir` whose extension is exactly ".json".
std::vector<fs::path> json_files(const fs::path& dir);
std::string read_text(const fs::path& path);
void write_text(const fs::path& path, const std::string& text);
json read_json(const fs::path& path);  // throws json::parse_error on malformed JSON

// NAME=VALUE entries every trainbench child gets: LSAN_OPTIONS with the Open MPI
// leak suppressions (tests/lsan-openmpi.supp) after any LSAN_OPTIONS we inherited.
std::vector<std::string> child_environment();

// Exit status `code` from a normal exit, with the process output on failure.
::testing::AssertionResult exited_with(const ProcessResult& r, int code);

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // trainbench ARGS..., cwd = the test's directory.
  ProcessResult trainbench(const std::vector<std::string>& args, ProcessOptions options = {}) const;
  // trainbench run ARGS... --out out_ <kQuick>.
  ProcessResult run_quick(const std::vector<std::string>& args) const;
  // Runs one small problem into `out` and returns its result file (fails the test otherwise).
  fs::path make_result_file(const fs::path& out, const std::string& problem = "gemm:m=32,n=16,k=8");

  // Exit status 2, one error on stderr naming every needle, empty stdout, and
  // no file written anywhere under the test directory other than `keep`.
  // cli11: the message comes from CLI11's option parsing, not "trainbench: error:".
  void expect_bad_input(const ProcessResult& r, const std::vector<std::string>& needles, bool cli11 = false,
                        const std::vector<fs::path>& keep = {}) const;

  std::optional<TempDir> temp_;  // fresh per test, removed afterwards
  fs::path dir_;                 // temp_'s path
  fs::path out_;                 // dir_/out, not created: trainbench creates it
};

}  // namespace tbtest
