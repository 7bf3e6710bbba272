// Inputs that would exhaust the machine (issue 15, section 5): each is refused
// with one message naming the bad value, exit status 2, within seconds and
// bounded memory, and nothing written.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli_test_support.h"

namespace tbtest {
namespace {

const std::string kAwsOffer = std::string(TRAINBENCH_TEST_DATA_DIR) + "/aws-offer-ec2-small.json";

constexpr double kMaxSeconds = 10.0;
// The bound for a release build. Under AddressSanitizer (the test and
// the trainbench it starts are built alike) its shadow memory and allocator
// roughly double a process's resident size, so the bound doubles with it.
#if defined(__SANITIZE_ADDRESS__)
constexpr long long kMaxPeakRssBytes = 400LL << 20;
#else
constexpr long long kMaxPeakRssBytes = 200LL << 20;
#endif

class HostileInput : public CliTest {
 protected:
  // expect_bad_input, and the refusal came quickly with bounded memory.
  void expect_refused(const ProcessResult& r, const std::vector<std::string>& needles,
                      const std::vector<fs::path>& keep = {}, bool cli11 = false) const {
    expect_bad_input(r, needles, cli11, keep);
    EXPECT_LT(r.seconds, kMaxSeconds) << r.describe();
    EXPECT_GT(r.peak_rss_bytes, 0);
    EXPECT_LT(r.peak_rss_bytes, kMaxPeakRssBytes) << r.describe();
    EXPECT_FALSE(fs::exists(out_)) << "no --out directory may be created";
  }
};

// ---- Sizes whose byte counts overflow 64-bit arithmetic --------------------

TEST_F(HostileInput, GemmWhoseBytesOverflowIsRefusedAtParseTime) {
  expect_refused(run_quick({"--problem", "gemm:m=2147483647,n=2147483647,k=2147483647"}),
                 {"gemm:m=2147483647,n=2147483647,k=2147483647", "tensor a", "overflows 64-bit",
                  "expected sizes whose tensors fit in memory"});
  expect_refused(run_quick({"--problem", "gemm:m=2147483647,n=2147483647,k=1,dtype=fp8"}), {"tensor c", "2^60"});
  expect_refused(run_quick({"--problem", "gemm:m=4294967296,n=4294967296,k=4294967296"}),
                 {"'m=4294967296' is out of range"});
  expect_refused(run_quick({"--problem", "gemm:m=9223372036854775808,n=1,k=1"}),
                 {"'m=9223372036854775808' is too large"});
}

TEST_F(HostileInput, HugeAttentionAndAllreduceAreRefusedBeforeAllocating) {
  expect_refused(run_quick({"--problem", "attention:b=1M,h=1M,sq=1M,d=1024"}), {"2^48 elements"});
  expect_refused(run_quick({"--problem", "attention:b=1024,h=1024,sq=1M,d=256"}), {"bytes", "available"});
  expect_refused(run_quick({"--problem", "allreduce:bytes=1024G,ranks=256"}), {"bytes", "available"});
}

// ---- Inputs that are not regular files or never end --------------------------

// Every command that reads a file the user names, with FILE standing for it.
const std::vector<std::vector<std::string>> kFileReaders = {
    {"run", "--suite", "FILE"},
    {"show", "FILE"},
    {"cost", "--results", "FILE"},
    {"compare", "FILE", "FILE"},
    {"history", "import", "FILE", "--db", "DIR/history.db"},
    {"history", "list", "--db", "FILE"},
    {"report", "--db", "FILE", "-o", "DIR/report.html"},
    {"pricing", "import", "FILE", "--format", "aws", "--out", "DIR/catalog.csv"},
    {"pricing", "import", "FILE", "--format", "skypilot", "--out", "DIR/catalog.csv"},
    {"list", "instances", "--catalog", "FILE"},
    {"run", "--model", "llama3.2-1b", "--tokens", "16", "--catalog", "FILE"},
};

std::vector<std::string> with_file(std::vector<std::string> args, const std::string& file, const fs::path& dir) {
  for (std::string& a : args) {
    if (a == "FILE") a = file;
    if (a.rfind("DIR/", 0) == 0) a = (dir / a.substr(4)).string();
  }
  return args;
}

TEST_F(HostileInput, EndlessDeviceIsRefusedByEveryReader) {
  for (const std::vector<std::string>& args : kFileReaders) {
    SCOPED_TRACE(args[0] + " " + args[1]);
    std::vector<std::string> argv = with_file(args, "/dev/zero", dir_);
    if (argv[0] == "run") argv.insert(argv.end(), {"--out", out_.string()});
    expect_refused(trainbench(argv), {"'/dev/zero'", "is not a regular file (a character device)"});
  }
}

TEST_F(HostileInput, FifoIsRefusedWithoutWaitingForAWriter) {
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::vector<std::string>& args : kFileReaders) {
    SCOPED_TRACE(args[0] + " " + args[1]);
    std::vector<std::string> argv = with_file(args, fifo.string(), dir_);
    if (argv[0] == "run") argv.insert(argv.end(), {"--out", out_.string()});
    ProcessOptions quick;
    quick.timeout_s = 20;  // a reader that blocks on the FIFO fails here instead of hanging the suite
    const ProcessResult r = trainbench(argv, quick);
    expect_refused(r, {fifo.string(), "is not a regular file (a FIFO)"}, {fifo});
  }
}

TEST_F(HostileInput, FileAboveTheReadLimitIsRefusedUnread) {
  const fs::path big = dir_ / "big.json";
  write_text(big, "{");
  fs::resize_file(big, (256u << 20) + 1);  // sparse: no disk or time spent
  for (const std::vector<std::string>& args : {std::vector<std::string>{"show", "FILE"},
                                               std::vector<std::string>{"run", "--suite", "FILE"},
                                               std::vector<std::string>{"list", "instances", "--catalog", "FILE"}}) {
    std::vector<std::string> argv = with_file(args, big.string(), dir_);
    if (argv[0] == "run") argv.insert(argv.end(), {"--out", out_.string()});
    expect_refused(trainbench(argv), {big.string(), "268435457 bytes", "more than the 268435456 bytes"}, {big});
  }
}

// ---- Echoed values ------------------------------------------------------------

// stderr holds no raw control character (ESC, NUL, ...) besides the final newline.
::testing::AssertionResult printable(const std::string& err) {
  for (std::size_t i = 0; i + 1 < err.size(); ++i) {
    const auto c = static_cast<unsigned char>(err[i]);
    if (c < 0x20 || c == 0x7F) return ::testing::AssertionFailure() << "raw byte " << int{c} << " at " << i << ": " << err;
  }
  return ::testing::AssertionSuccess();
}

TEST_F(HostileInput, ControlCharactersInEchoedValuesAreEscaped) {
  const ProcessResult ansi = run_quick({"--problem", "gemm:m=1\x1b[31mRED,n=1,k=1"});
  expect_refused(ansi, {"'m=1\\x1B[31mRED'"});
  EXPECT_TRUE(printable(ansi.err));
  const fs::path suite = dir_ / "nul.suite";
  const char text[] = "gemm:m=1,n=2,k=3\ngemm:m=12\0zz,n=1,k=1\n";
  write_text(suite, std::string(text, sizeof text - 1));
  const ProcessResult nul = run_quick({"--suite", suite.string()});
  // The whole message: a NUL no longer cuts it short after "m=12".
  expect_refused(nul, {"line 2", "'m=12\\0zz' is not a non-negative integer"}, {suite});
  EXPECT_TRUE(printable(nul.err));
  const ProcessResult since = trainbench({"history", "list", "--since", "3\x1b[2Jd"});
  expect_refused(since, {"--since '3\\x1B[2Jd'"}, {suite});
  // CLI11's own messages are escaped too.
  const ProcessResult cli11 =
      trainbench({"run", "--problem", "gemm:m=1,n=1,k=1", "--repetitions", "1\x1b[2J", "--out", out_.string()});
  EXPECT_TRUE(exited_with(cli11, 2));
  EXPECT_NE(cli11.err.find("1\\x1B[2J"), std::string::npos) << cli11.err;
  EXPECT_EQ(cli11.err.find('\x1b'), std::string::npos) << cli11.err;
}

TEST_F(HostileInput, AHugeValueIsEchoedShortenedAndTheProblemOnce) {
  const std::string huge(100000, '7');
  const std::string problem = "gemm:m=1,n=1,k=" + huge + "x";
  const ProcessResult r = run_quick({"--problem", problem});
  expect_refused(r, {"problem 'gemm:m=1,n=1,k=777", "... (" + std::to_string(problem.size()) + " bytes)'",
                     "'k=777", "... (" + std::to_string(huge.size() + 3) + " bytes)' is not a non-negative integer"});
  EXPECT_LT(r.err.size(), 400u) << "the value must not be echoed in full";
  EXPECT_EQ(r.err.find("problem '", r.err.find("problem '") + 1), std::string::npos) << "the problem is named once";
}

// ---- Half-checked files ---------------------------------------------------------

TEST_F(HostileInput, ABrokenNumberInAResultFileIsRefusedByEveryReaderAtReadTime) {
  const fs::path good = make_result_file(dir_ / "results");
  const json doc = read_json(good);
  struct Case {
    std::string name;
    json value;  // null: the field is removed
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"nan", "nan", "field '$.results[0].time_s.median' is \"nan\": expected a number (finite)"},
      {"text", "fast", "field '$.results[0].time_s.median' is \"fast\": expected a number (finite)"},
      {"object", json::object(), "field '$.results[0].time_s.median' is {}: expected a number (finite)"},
      {"negative", -1.5, "field '$.results[0].time_s.median' is -1.5: expected a number >= 0"},
      {"missing", nullptr, "field '$.results[0].time_s.median' is missing"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    json broken = doc;
    if (c.value.is_null()) broken["results"][0]["time_s"].erase("median");
    else broken["results"][0]["time_s"]["median"] = c.value;
    const fs::path file = dir_ / (c.name + ".json");
    write_text(file, broken.dump());
    const std::vector<fs::path> keep = files_under(dir_);
    const fs::path db = dir_ / "new" / "history.db";
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"show", file.string()}, std::vector<std::string>{"cost", "--results", file.string()},
          std::vector<std::string>{"compare", good.string(), file.string()},
          std::vector<std::string>{"history", "import", "--db", db.string(), good.string(), file.string()}}) {
      SCOPED_TRACE(args[0]);
      expect_refused(trainbench(args), {"results file '" + file.string() + "'", c.needle}, keep);
    }
    EXPECT_FALSE(fs::exists(dir_ / "new")) << "a failed import leaves no new database (nor its directory)";
  }
}

// ---- --seed beyond 64 bits --------------------------------------------------------

TEST_F(HostileInput, SeedsBeyond64BitsAreRefusedNotClamped) {
  for (const std::string seed : {"18446744073709551616", "99999999999999999999999"}) {
    expect_refused(trainbench({"run", "--problem", "gemm:m=16,n=16,k=16", "--out", out_.string(), "--seed", seed}),
                   {"--seed: " + seed + " is out of range: expected 0 to 18446744073709551615"}, {}, true);
  }
  const std::vector<std::string> largest = {"--problem", "gemm:m=16,n=16,k=16", "--seed", "18446744073709551615"};
  const ProcessResult r = run_quick(largest);
  ASSERT_TRUE(exited_with(r, 0));
  const std::vector<fs::path> files = json_files(out_);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(read_json(files[0])["context"]["trainbench"]["options"]["seed"].get<std::uint64_t>(),
            18446744073709551615ull);
}

// ---- Output paths that are not regular files --------------------------------

// The outputs `pricing import --out` and `report -o` are written to, given X.
class OutputPath : public HostileInput {
 protected:
  std::vector<std::string> pricing_to(const fs::path& x) const {
    return {"pricing", "import", kAwsOffer, "--catalog", TRAINBENCH_CATALOG, "--out", x.string()};
  }
  std::vector<std::string> report_to(const fs::path& x) {
    if (!fs::exists(db())) {
      const fs::path result = make_result_file(dir_ / "results");
      EXPECT_TRUE(exited_with(trainbench({"history", "import", "--db", db().string(), result.string()}), 0));
    }
    return {"report", "--db", db().string(), "-o", x.string()};
  }
  // Both commands refuse `x`, naming it and `kind`, and leave every file as it was.
  void expect_both_refuse(const fs::path& x, const std::string& kind) {
    for (const std::vector<std::string>& args : {pricing_to(x), report_to(x)}) {
      SCOPED_TRACE(args[0]);
      expect_refused(trainbench(args), {"'" + x.string() + "'", "is not a regular file (" + kind + ")",
                                         "expected a regular file or a path that does not exist"},
                     files_under(dir_));
    }
  }
  fs::path db() const { return dir_ / "h.db"; }
};

TEST_F(OutputPath, DirectoriesFifosAndDevicesAreNotReplaced) {
  fs::create_directory(dir_ / "a-directory");
  expect_both_refuse(dir_ / "a-directory", "a directory");
  EXPECT_TRUE(fs::is_directory(dir_ / "a-directory"));
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_both_refuse(fifo, "a FIFO");
  EXPECT_TRUE(fs::is_fifo(fifo));
  if (::geteuid() != 0) GTEST_SKIP() << "creating a device node (mknod) needs root";
  const fs::path node = dir_ / "null-device";  // our own node with /dev/null's numbers, never /dev/null itself
  ASSERT_EQ(::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0) << std::strerror(errno);
  expect_both_refuse(node, "a character device");
  EXPECT_TRUE(fs::is_character_file(fs::symlink_status(node))) << "the device node must stay a device node";
}

TEST_F(OutputPath, ASymlinkedCatalogIsWrittenThroughTheLink) {
  fs::create_directory(dir_ / "shared");
  const fs::path target = dir_ / "shared" / "instances.csv";
  fs::copy_file(TRAINBENCH_CATALOG, target);
  const fs::path link = dir_ / "instances.csv";
  fs::create_symlink(target, link);
  const ProcessResult r = trainbench({"pricing", "import", kAwsOffer, "--catalog", link.string()});
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_TRUE(fs::is_symlink(link)) << "the link stays a link";
  EXPECT_NE(read_text(target), read_text(TRAINBENCH_CATALOG)) << "its target has the new prices";
  EXPECT_EQ(files_under(dir_ / "shared"), std::vector<fs::path>{target}) << "no temporary file left";
  // A link to a device is refused like the device.
  const fs::path to_fifo = dir_ / "to-fifo";
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  fs::create_symlink(dir_ / "fifo", to_fifo);
  expect_refused(trainbench(pricing_to(to_fifo)), {"'" + to_fifo.string() + "'", "is not a regular file (a FIFO)"},
                 files_under(dir_));
}

}  // namespace
}  // namespace tbtest
