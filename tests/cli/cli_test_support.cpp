#include "cli_test_support.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tbtest {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  for (const std::string& line : lines_of(text)) {
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else if (c == '"') {
          quoted = false;
        } else {
          field += c;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        row.push_back(std::move(field));
        field.clear();
      } else {
        field += c;
      }
    }
    if (quoted) throw std::invalid_argument("unterminated quote in CSV line: " + line);
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name) {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) throw std::out_of_range("CSV header has no column '" + name + "'");
  return static_cast<std::size_t>(it - header.begin());
}

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

::testing::AssertionResult exited_with(const ProcessResult& r, int code) {
  if (r.exited && r.exit_code == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected exit status " << code << ", but the process " << r.describe();
}

void CliTest::SetUp() {
  std::string templ = (fs::temp_directory_path() / "trainbench-cli-XXXXXX").string();
  ASSERT_NE(::mkdtemp(templ.data()), nullptr) << "mkdtemp " << templ;
  dir_ = templ;
  out_ = dir_ / "out";
}

void CliTest::TearDown() {
  if (dir_.empty()) return;
  std::error_code ec;
  // Tests may leave read-only directories behind; make everything removable.
  for (const auto& entry : fs::recursive_directory_iterator(dir_, ec)) {
    if (entry.is_directory(ec)) fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(dir_, ec);
}

ProcessResult CliTest::trainbench(const std::vector<std::string>& args, ProcessOptions options) const {
  std::vector<std::string> argv = {kTrainbench};
  argv.insert(argv.end(), args.begin(), args.end());
  if (options.cwd.empty()) options.cwd = dir_.string();
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
