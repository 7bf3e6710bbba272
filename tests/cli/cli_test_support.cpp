#include "cli_test_support.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tbtest {

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

std::vector<std::string> row_starting(const std::string& table, const std::string& first) {
  for (const std::string& line : lines_of(table)) {
    const std::vector<std::string> words = words_of(line);
    if (!words.empty() && words[0] == first) return words;
  }
  return {};
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::vector<fs::path> files_under(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec)) {
    if (!entry.is_directory(ec)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<fs::path> json_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  // Non-throwing: a running trainbench renames temporary files away while we list.
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec) && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

json read_json(const fs::path& path) { return json::parse(read_text(path)); }

std::vector<std::string> child_environment() {
  std::vector<std::string> env;
#ifdef LSAN_SUPPRESSIONS
  // Open MPI leaks at exit; LeakSanitizer (ASan builds) would fail every MPI run.
  // Options inherited from the caller are kept; ours come last, so they apply.
  // Full stacks (slow unwinding): Open MPI and its components are built
  // without frame pointers, and a suppression only matches a frame it sees.
  // print_suppressions=0: stderr stays the program's own.
  std::string lsan = "LSAN_OPTIONS=";
  if (const char* inherited = std::getenv("LSAN_OPTIONS"); inherited != nullptr && *inherited != '\0') {
    lsan += std::string(inherited) + ":";
  }
  env.push_back(lsan + "fast_unwind_on_malloc=0:print_suppressions=0:suppressions=" + LSAN_SUPPRESSIONS);
#endif
  return env;
}

::testing::AssertionResult exited_with(const ProcessResult& r, int code) {
  if (r.exited && r.exit_code == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected exit status " << code << ", but the process " << r.describe();
}

void CliTest::SetUp() {
  temp_.emplace("trainbench-cli-");
  ASSERT_TRUE(temp_->created());
  dir_ = temp_->path();
  out_ = dir_ / "out";
}

// Removes the directory, read-only parts included (tests may leave some behind).
void CliTest::TearDown() { temp_.reset(); }

ProcessResult CliTest::trainbench(const std::vector<std::string>& args, ProcessOptions options) const {
  std::vector<std::string> argv = {kTrainbench};
  argv.insert(argv.end(), args.begin(), args.end());
  if (options.cwd.empty()) options.cwd = dir_.string();
  for (std::string& e : child_environment()) options.env.push_back(std::move(e));
  return run_process(argv, options);
}

ProcessResult CliTest::run_quick(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"run"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--out", out_.string()});
  argv.insert(argv.end(), kQuick.begin(), kQuick.end());
  return trainbench(argv);
}

fs::path CliTest::make_result_file(const fs::path& out, const std::string& problem) {
  std::vector<std::string> argv = {"run", "--problem", problem, "--out", out.string()};
  argv.insert(argv.end(), kQuick.begin(), kQuick.end());
  const ProcessResult r = trainbench(argv);
  EXPECT_TRUE(exited_with(r, 0));
  const std::vector<fs::path> files = json_files(out);
  EXPECT_EQ(files.size(), 1u) << r.describe();
  return files.empty() ? fs::path() : files.front();
}

void CliTest::expect_bad_input(const ProcessResult& r, const std::vector<std::string>& needles, bool cli11,
                               const std::vector<fs::path>& keep) const {
  EXPECT_TRUE(exited_with(r, 2));
  EXPECT_FALSE(r.err.empty()) << "no message on stderr";
  EXPECT_EQ(r.out, "") << "stdout should be empty on bad input";
  if (cli11) {
    EXPECT_FALSE(starts_with(r.err, "trainbench: error:"))
        << "expected CLI11's option-parsing message, got:\n" << r.err;
  } else {
    EXPECT_TRUE(starts_with(r.err, "trainbench: error: ")) << "stderr:\n" << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1u) << "expected exactly one message line on stderr:\n" << r.err;
  }
  for (const std::string& needle : needles) {
    EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr does not name '" << needle << "':\n" << r.err;
  }
  std::vector<fs::path> expected = keep;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(files_under(dir_), expected) << "bad input must not write any file";
  std::error_code ec;
  if (fs::exists(out_, ec)) {
    EXPECT_TRUE(fs::is_empty(out_, ec)) << out_ << " should be empty";
  }
}

}  // namespace tbtest
