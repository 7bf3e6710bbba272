// Suite files and plans: comments, blank lines, sweeps, and errors that name
// the file and the line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runner/plan.h"
#include "support/temp_dir.h"
#include "support/text.h"

namespace tb {
namespace {

using tbtest::expect_contains_all;
using tbtest::TempDir;

std::vector<std::string> canonical_plan(const std::vector<std::string>& strings) {
  const Expected<std::vector<ProblemPtr>> plan = build_plan(strings);
  if (!plan.ok()) {
    ADD_FAILURE() << plan.error().message;
    return {};
  }
  std::vector<std::string> out;
  for (const ProblemPtr& p : *plan) out.push_back(p->to_string());
  return out;
}

TEST(PlanTest, SuiteFileSkipsCommentsAndBlankLines) {
  const TempDir dir;
  const std::string path = dir.write("suite.txt",
                                     "# a suite\n"
                                     "\n"
                                     "gemm:m=1,n=2,k=3   # trailing comment\n"
                                     "   gemm:m=4|8,n=4,k=4,dtype=bf16\n"
                                     "\t# indented comment\n"
                                     "   \t \n"
                                     "gemm:m=1:4:*2,n=1,k=1");  // no final newline
  const Expected<std::vector<std::string>> suite = read_suite_file(path);
  ASSERT_TRUE(suite.ok()) << suite.error().message;
  EXPECT_EQ(*suite, (std::vector<std::string>{"gemm:m=1,n=2,k=3", "gemm:m=4|8,n=4,k=4,dtype=bf16",
                                               "gemm:m=1:4:*2,n=1,k=1"}));
}

TEST(PlanTest, SuiteFileWithWindowsLineEndings) {
  const TempDir dir;
  const std::string path = dir.write("crlf.txt", "# c\r\ngemm:m=1,n=1,k=1\r\n\r\ngemm:m=2,n=2,k=2\r\n");
  const Expected<std::vector<std::string>> suite = read_suite_file(path);
  ASSERT_TRUE(suite.ok()) << suite.error().message;
  EXPECT_EQ(*suite, (std::vector<std::string>{"gemm:m=1,n=1,k=1", "gemm:m=2,n=2,k=2"}));
}

TEST(PlanTest, ErrorNamesTheFileAndLine) {
  const TempDir dir;
  const std::string path = dir.write("bad.txt",
                                     "# header\n"
                                     "\n"
                                     "gemm:m=1,n=1,k=1\n"
                                     "gemm:m=0,n=1,k=1\n"
                                     "gemm:m=2,n=1,k=1\n");
  const Expected<std::vector<std::string>> suite = read_suite_file(path);
  ASSERT_FALSE(suite.ok());
  EXPECT_EQ(suite.error().code, ErrorCode::kBadInput);
  expect_contains_all(suite.error().message, {"'" + path + "'", "line 4", "'m=0'"});
}

TEST(PlanTest, SweepAndKernelErrorsInSuiteNameTheLine) {
  const TempDir dir;
  struct Case { std::string content; std::string line; std::string needle; };
  for (const Case& c : {Case{"conv:m=1\n", "line 1", "'conv'"},
                        Case{"gemm:m=1,n=1,k=1\n# x\ngemm:m=8:4:*2,n=1,k=1\n", "line 3", "'8:4:*2'"},
                        Case{"\n\ngemm:m=1,n=1,k=1,bogus=1\n", "line 3", "'bogus'"}}) {
    const std::string path = dir.write("suite.txt", c.content);
    const Expected<std::vector<std::string>> suite = read_suite_file(path);
    ASSERT_FALSE(suite.ok()) << c.content;
    expect_contains_all(suite.error().message, {c.line + ":", c.needle, path});
  }
}

TEST(PlanTest, EmptySuiteIsAnError) {
  const TempDir dir;
  for (const std::string content : {"", "\n\n", "# only comments\n   # and more\n"}) {
    const std::string path = dir.write("empty.txt", content);
    const Expected<std::vector<std::string>> suite = read_suite_file(path);
    ASSERT_FALSE(suite.ok()) << "'" << content << "'";
    EXPECT_EQ(suite.error().code, ErrorCode::kBadInput);
    expect_contains_all(suite.error().message, {"'" + path + "'", "no problems"});
  }
}

TEST(PlanTest, MissingSuiteFileIsBadInputNamingIt) {
  const TempDir dir;
  const std::string path = dir.write("present.txt", "") + ".missing";
  const Expected<std::vector<std::string>> suite = read_suite_file(path);
  ASSERT_FALSE(suite.ok());
  EXPECT_EQ(suite.error().code, ErrorCode::kBadInput);
  expect_contains_all(suite.error().message, {path});
}

TEST(PlanTest, BuildPlanExpandsSweepsInOrder) {
  EXPECT_EQ(canonical_plan({"gemm:m=1,n=2,k=3", "gemm:m=4|8,n=4,k=4,dtype=bf16", "gemm:k=1,m=1:4:*2,n=1"}),
            (std::vector<std::string>{"gemm:m=1,n=2,k=3,dtype=fp32", "gemm:m=4,n=4,k=4,dtype=bf16",
                                      "gemm:m=8,n=4,k=4,dtype=bf16", "gemm:m=1,n=1,k=1,dtype=fp32",
                                      "gemm:m=2,n=1,k=1,dtype=fp32", "gemm:m=4,n=1,k=1,dtype=fp32"}));
}

TEST(PlanTest, BuildPlanOfSuiteFileLines) {
  const TempDir dir;
  const std::string path = dir.write("suite.txt", "gemm:m=64,n=64,k=64,dtype=fp32|bf16\ngemm:m=1,n=1,k=1,ta=1\n");
  const Expected<std::vector<std::string>> suite = read_suite_file(path);
  ASSERT_TRUE(suite.ok()) << suite.error().message;
  EXPECT_EQ(canonical_plan(*suite),
            (std::vector<std::string>{"gemm:m=64,n=64,k=64,dtype=fp32", "gemm:m=64,n=64,k=64,dtype=bf16",
                                      "gemm:m=1,n=1,k=1,ta=1,dtype=fp32"}));
}

TEST(PlanTest, BuildPlanRejectsAnyBadStringNamingIt) {
  const Expected<std::vector<ProblemPtr>> plan =
      build_plan({"gemm:m=1,n=1,k=1", "gemm:m=1|0,n=1,k=1", "gemm:m=2,n=2,k=2"});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, ErrorCode::kBadInput);
  expect_contains_all(plan.error().message, {"'m=0'"});

  const Expected<std::vector<ProblemPtr>> sweep = build_plan({"gemm:m=1:9:*1,n=1,k=1"});
  ASSERT_FALSE(sweep.ok());
  expect_contains_all(sweep.error().message, {"'1:9:*1'"});

  const Expected<std::vector<ProblemPtr>> empty = build_plan({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace tb

namespace tb {
namespace {

// `trainbench run` with no problem runs the default suite of the device in hand.
TEST(DefaultSuites, EachBackendsSuiteParsesWithItsDeviceCount) {
  EXPECT_NE(default_suite_path("cpu").find("benchmarks/suites/default.suite"), std::string::npos);
  EXPECT_NE(default_suite_path("cpu-onednn").find("benchmarks/suites/default.suite"), std::string::npos);
  EXPECT_NE(default_suite_path("cuda").find("benchmarks/suites/gpu.suite"), std::string::npos);
  EXPECT_NE(default_suite_path("neuron").find("benchmarks/suites/neuron.suite"), std::string::npos);
  for (const char* backend : {"cpu", "cuda", "neuron"}) {
    Expected<std::vector<std::string>> strings = problem_strings({}, {default_suite_path(backend)}, 4);
    ASSERT_TRUE(strings.ok()) << backend << ": " << strings.error().message;
    const std::vector<std::string> plan = canonical_plan(*strings);
    EXPECT_GE(plan.size(), 5u) << backend;
  }
}

TEST(DefaultSuites, TheGpuSuitesAllReduceSpansEveryVisibleGpu) {
  Expected<std::vector<std::string>> strings = problem_strings({}, {default_suite_path("cuda")}, 8);
  ASSERT_TRUE(strings.ok()) << strings.error().message;
  bool found = false;
  for (const std::string& p : canonical_plan(*strings)) {
    if (p.rfind("allreduce:", 0) == 0) {
      found = true;
      EXPECT_NE(p.find("ranks=8"), std::string::npos) << p;
      EXPECT_NE(p.find("algo=nccl"), std::string::npos) << p;
    }
  }
  EXPECT_TRUE(found);
}

TEST(DefaultSuites, DevicesIsSubstitutedEverywhereAndNothingElseChanges) {
  EXPECT_EQ(substitute_devices("allreduce:bytes=1M,ranks={devices}", 3), "allreduce:bytes=1M,ranks=3");
  EXPECT_EQ(substitute_devices("x{devices}y{devices}", 12), "x12y12");
  EXPECT_EQ(substitute_devices("gemm:m=1", 3), "gemm:m=1");
}

}  // namespace
}  // namespace tb
