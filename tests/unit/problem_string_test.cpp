// Problem strings: canonical form, sweeps, and the rejection messages.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/gemm/gemm_problem.h"
#include "kernels/kernel_registry.h"
#include "kernels/problem_string.h"

namespace tb {
namespace {

std::string canonical(const std::string& text) {
  const Expected<ProblemPtr> p = parse_problem(text);
  if (!p.ok()) {
    ADD_FAILURE() << text << ": " << p.error().message;
    return "<error>";
  }
  return (*p)->to_string();
}

std::vector<std::string> expand(const std::string& text, std::size_t max_points = 100000) {
  const Expected<std::vector<std::string>> v = expand_sweep(text, max_points);
  if (!v.ok()) {
    ADD_FAILURE() << text << ": " << v.error().message;
    return {};
  }
  return *v;
}

// Asserts `result` is a kBadInput error whose message contains every one of `needles`.
template <typename T>
void expect_bad_input(const Expected<T>& result, const std::string& input, const std::vector<std::string>& needles) {
  ASSERT_FALSE(result.ok()) << input << " was accepted";
  EXPECT_EQ(result.error().code, ErrorCode::kBadInput) << input;
  for (const std::string& needle : needles) {
    EXPECT_NE(result.error().message.find(needle), std::string::npos)
        << input << ": message '" << result.error().message << "' does not contain '" << needle << "'";
  }
}

// ---- Canonical form ------------------------------------------------------------

TEST(ProblemStringTest, CanonicalStringsRoundTrip) {
  for (const std::string s : {"gemm:m=1,n=1,k=1,dtype=fp32", "gemm:m=4096,n=4096,k=4096,dtype=bf16",
                              "gemm:m=7,n=9,k=3,ta=1,dtype=fp16", "gemm:m=7,n=9,k=3,tb=1,dtype=fp32",
                              "gemm:m=128,n=256,k=64,ta=1,tb=1,dtype=bf16",
                              "gemm:m=2147483647,n=1,k=1,dtype=fp32", "gemm:m=64,n=32,k=128,tb=1,dtype=fp8",
                              "gemm:m=3,n=5,k=7,ta=1,dtype=fp8"}) {
    EXPECT_EQ(canonical(s), s);
    EXPECT_EQ(canonical(canonical(s)), s);
  }
}

TEST(ProblemStringTest, NonCanonicalInputParsesToCanonicalString) {
  EXPECT_EQ(canonical("gemm:m=4K,n=4K,k=4K,dtype=bf16"), "gemm:m=4096,n=4096,k=4096,dtype=bf16");
  EXPECT_EQ(canonical("gemm:k=3,n=2,m=1"), "gemm:m=1,n=2,k=3,dtype=fp32");  // keys reordered, dtype defaulted
  EXPECT_EQ(canonical("gemm:dtype=fp16,tb=1,ta=1,k=1M,n=2,m=1"), "gemm:m=1,n=2,k=1048576,ta=1,tb=1,dtype=fp16");
  EXPECT_EQ(canonical("gemm:m=1,n=1,k=1,ta=0,tb=0"), "gemm:m=1,n=1,k=1,dtype=fp32");  // default flags dropped
  EXPECT_EQ(canonical("gemm:m=1G,n=1,k=1"), "gemm:m=1073741824,n=1,k=1,dtype=fp32");
  EXPECT_EQ(canonical("gemm:dtype=fp8,k=1K,n=16,m=16,tb=1"), "gemm:m=16,n=16,k=1024,tb=1,dtype=fp8");
}

TEST(ProblemStringTest, ParsedGemmHasTheGivenFields) {
  const Expected<ProblemPtr> p = parse_problem("gemm:m=3,n=5,k=7,tb=1,dtype=bf16");
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto* g = dynamic_cast<const GemmProblem*>(p->get());
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->m(), 3);
  EXPECT_EQ(g->n(), 5);
  EXPECT_EQ(g->k(), 7);
  EXPECT_FALSE(g->trans_a());
  EXPECT_TRUE(g->trans_b());
  EXPECT_EQ(g->dtype(), DType::kBf16);
  EXPECT_EQ(g->kernel(), "gemm");
}

TEST(ProblemStringTest, SpecKeepsParamsInGivenOrder) {
  const Expected<ProblemSpec> spec = parse_problem_spec("gemm:n=2,m=1,k=3");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->kernel, "gemm");
  ASSERT_EQ(spec->params.size(), 3u);
  EXPECT_EQ(spec->params[0], (std::pair<std::string, std::string>{"n", "2"}));
  EXPECT_EQ(spec->params[1], (std::pair<std::string, std::string>{"m", "1"}));
  EXPECT_EQ(spec->params[2], (std::pair<std::string, std::string>{"k", "3"}));
}

TEST(ProblemStringTest, RegistryExamplesParse) {
  ASSERT_FALSE(kernels().empty());
  for (const KernelInfo& k : kernels()) {
    const Expected<ProblemPtr> p = parse_problem(k.example);
    ASSERT_TRUE(p.ok()) << k.example << ": " << p.error().message;
    EXPECT_EQ((*p)->kernel(), k.name);
  }
}

// ---- Sizes ----------------------------------------------------------------------

TEST(ParseSizeTest, SuffixesAreBinary) {
  struct Case { const char* text; std::int64_t value; };
  for (const Case& c : {Case{"0", 0}, Case{"17", 17}, Case{"4K", 4096}, Case{"3M", 3 * 1048576},
                        Case{"2G", std::int64_t{2} << 30}, Case{"9223372036854775807", INT64_MAX},
                        Case{"8589934591G", std::int64_t{8589934591} << 30}}) {
    const Expected<std::int64_t> v = parse_size("m", c.text);
    ASSERT_TRUE(v.ok()) << c.text << ": " << v.error().message;
    EXPECT_EQ(*v, c.value) << c.text;
  }
}

TEST(ParseSizeTest, RejectsNonIntegersNamingTheValue) {
  for (const std::string bad : {"", "K", "-1", "1.5", "abc", "4k", "4KB", " 4", "+4", "0x10", "-99999999999999999999"}) {
    expect_bad_input(parse_size("bytes", bad), bad, {"'bytes=" + bad + "'", "non-negative integer"});
  }
  expect_bad_input(parse_size("m", "8589934592G"), "8589934592G", {"'m=8589934592G'", "too large"});
  // Beyond int64: too large, not malformed.
  expect_bad_input(parse_size("bytes", "99999999999999999999"), "99999999999999999999",
                   {"'bytes=99999999999999999999' is too large: expected at most 9223372036854775807"});
}

// ---- Sweeps ---------------------------------------------------------------------

TEST(SweepTest, ConcreteStringExpandsToItself) {
  EXPECT_EQ(expand("gemm:m=1,n=2,k=3"), std::vector<std::string>{"gemm:m=1,n=2,k=3"});
}

TEST(SweepTest, List) {
  EXPECT_EQ(expand("gemm:m=256|512,n=8,k=8"),
            (std::vector<std::string>{"gemm:m=256,n=8,k=8", "gemm:m=512,n=8,k=8"}));
  EXPECT_EQ(expand("gemm:m=1,n=1,k=1,dtype=fp32|bf16|fp16"),
            (std::vector<std::string>{"gemm:m=1,n=1,k=1,dtype=fp32", "gemm:m=1,n=1,k=1,dtype=bf16",
                                      "gemm:m=1,n=1,k=1,dtype=fp16"}));
}

TEST(SweepTest, MultiplicativeRangeIsInclusive) {
  EXPECT_EQ(expand("gemm:m=1024:8192:*2,n=1,k=1"),
            (std::vector<std::string>{"gemm:m=1024,n=1,k=1", "gemm:m=2048,n=1,k=1", "gemm:m=4096,n=1,k=1",
                                      "gemm:m=8192,n=1,k=1"}));
  // Stop not on the grid: the last value is the largest not above stop.
  EXPECT_EQ(expand("gemm:m=3:30:*3"),
            (std::vector<std::string>{"gemm:m=3", "gemm:m=9", "gemm:m=27"}));
  // Suffixes in ranges.
  EXPECT_EQ(expand("gemm:k=1K:4K:*4"), (std::vector<std::string>{"gemm:k=1024", "gemm:k=4096"}));
}

TEST(SweepTest, AdditiveRangeIsInclusive) {
  EXPECT_EQ(expand("gemm:m=128:512:+128"),
            (std::vector<std::string>{"gemm:m=128", "gemm:m=256", "gemm:m=384", "gemm:m=512"}));
  EXPECT_EQ(expand("gemm:m=5:5:+1"), std::vector<std::string>{"gemm:m=5"});
  EXPECT_EQ(expand("gemm:m=0:10:+4"), (std::vector<std::string>{"gemm:m=0", "gemm:m=4", "gemm:m=8"}));
}

TEST(SweepTest, RangeNearInt64MaxDoesNotOverflow) {
  EXPECT_EQ(expand("gemm:m=4611686018427387904:9223372036854775807:*2"),
            std::vector<std::string>{"gemm:m=4611686018427387904"});
  EXPECT_EQ(expand("gemm:m=9223372036854775806:9223372036854775807:+1000"),
            std::vector<std::string>{"gemm:m=9223372036854775806"});
}

TEST(SweepTest, CartesianProductVariesRightmostKeyFastest) {
  EXPECT_EQ(expand("gemm:m=1|2,n=3|4,k=5,ta=0|1"),
            (std::vector<std::string>{
                "gemm:m=1,n=3,k=5,ta=0", "gemm:m=1,n=3,k=5,ta=1", "gemm:m=1,n=4,k=5,ta=0", "gemm:m=1,n=4,k=5,ta=1",
                "gemm:m=2,n=3,k=5,ta=0", "gemm:m=2,n=3,k=5,ta=1", "gemm:m=2,n=4,k=5,ta=0", "gemm:m=2,n=4,k=5,ta=1"}));
}

TEST(SweepTest, ExpandedStringsParseToCanonicalProblems) {
  std::vector<std::string> canon;
  for (const std::string& s : expand("gemm:k=8,m=1K:2K:*2,n=16|32")) canon.push_back(canonical(s));
  EXPECT_EQ(canon, (std::vector<std::string>{
                       "gemm:m=1024,n=16,k=8,dtype=fp32", "gemm:m=1024,n=32,k=8,dtype=fp32",
                       "gemm:m=2048,n=16,k=8,dtype=fp32", "gemm:m=2048,n=32,k=8,dtype=fp32"}));
}

TEST(SweepTest, MaxPointsLimit) {
  const std::string sweep = "gemm:m=1|2|3,n=1|2|3,k=1";
  EXPECT_EQ(expand(sweep, 9).size(), 9u);
  expect_bad_input(expand_sweep(sweep, 8), sweep, {sweep, "more than 8"});
  const std::string big = "gemm:m=1:1000:+1,n=1:1000:+1,k=1:1000:+1";  // 10^9 points
  expect_bad_input(expand_sweep(big), big, {"more than 100000"});
}

TEST(SweepTest, LimitIsInclusive) {
  const std::vector<std::string> v = expand("gemm:m=1:100000:+1,n=1,k=1");
  ASSERT_EQ(v.size(), 100000u);
  EXPECT_EQ(v.front(), "gemm:m=1,n=1,k=1");
  EXPECT_EQ(v.back(), "gemm:m=100000,n=1,k=1");
  const std::string over = "gemm:m=1:100000:+1,n=1|2,k=1";
  expect_bad_input(expand_sweep(over), over, {"sweep '" + over + "' expands to more than 100000 problems"});
}

TEST(SweepTest, HugeRangesAreRejectedWithoutMaterializingThem) {
  // 2^30 and 2^63 values: must hit the limit, not exhaust memory.
  for (const std::string sweep : {"gemm:m=1:1G:+1,n=1,k=1", "gemm:m=0:9223372036854775807:+1,n=1,k=1",
                                  "gemm:m=1,n=1,k=1:2147483647:+1"}) {
    expect_bad_input(expand_sweep(sweep), sweep, {"more than 100000"});
  }
  expect_bad_input(expand_sweep("gemm:m=1:1000:+1", 10), "", {"more than 10 problems"});
  EXPECT_EQ(expand("gemm:m=1:10:+1", 10).size(), 10u);
}

TEST(SweepTest, MalformedSweepsAreRejected) {
  struct Case { std::string text; std::vector<std::string> needles; };
  const std::vector<Case> cases = {
      {"gemm:m=1:2:3", {"'1:2:3'", "start:stop:*factor"}},
      {"gemm:m=1:2", {"'1:2'"}},
      {"gemm:m=1:2:*2:4", {"'1:2:*2:4'"}},
      {"gemm:m=1:8:*", {"'1:8:*'"}},
      {"gemm:m=8:4:*2", {"'8:4:*2'", "start exceeds stop"}},
      {"gemm:m=1:8:*1", {"'1:8:*1'", "factor >= 2"}},
      {"gemm:m=0:8:*2", {"'0:8:*2'", "non-zero start"}},
      {"gemm:m=1:8:+0", {"'1:8:+0'", "increment >= 1"}},
      {"gemm:m=a:8:*2", {"'m=a'"}},
      {"gemm:m=1:-8:+1", {"'m=-8'"}},
      {"gemm:m=1||2", {"'1||2'", "empty item"}},
      {"gemm:m=1|", {"'1|'", "empty item"}},
      {"gemm:m=1,m=2|3", {"'m'", "twice"}},
      {"m=1|2", {"no kernel prefix"}},
  };
  for (const Case& c : cases) expect_bad_input(expand_sweep(c.text), c.text, c.needles);
}

// ---- Rejections of concrete problems ------------------------------------------------

TEST(ProblemStringTest, RejectsBadProblemsNamingTheBadText) {
  struct Case { std::string text; std::vector<std::string> needles; };
  const std::vector<Case> cases = {
      {"conv:m=1,n=1,k=1", {"unknown kernel 'conv'", "gemm"}},
      {"gemm:m=1,n=1,k=1,x=2", {"unknown key 'x'", "dtype, k, m, n, ta, tb"}},
      {"gemm:m=1,n=1,k=1,transpose=1", {"'transpose'", "dtype, k, m, n, ta, tb"}},
      {"gemm:n=1,k=1", {"'m=<integer>'"}},
      {"gemm:m=1,k=1", {"'n=<integer>'"}},
      {"gemm:", {"'m=<integer>'"}},
      {"gemm:m=-1,n=1,k=1", {"'m=-1'"}},
      {"gemm:m=1,n=-5,k=1", {"'n=-5'"}},
      {"gemm:m=abc,n=1,k=1", {"'m=abc'"}},
      {"gemm:m=0,n=1,k=1", {"'m=0'", "out of range", "1 to 2147483647"}},
      {"gemm:m=1,n=1,k=0", {"'k=0'", "out of range"}},
      {"gemm:m=2147483648,n=1,k=1", {"'m=2147483648'", "out of range"}},
      {"gemm:m=2G,n=1,k=1", {"'m=2G'", "out of range"}},
      {"gemm:m=1,m=2,n=1,k=1", {"key 'm' is given twice"}},
      {"gemm:m=1,n,k=1", {"'n'", "key=value"}},
      {"gemm:m=,n=1,k=1", {"'m='", "key=value"}},
      {"gemm:=1,n=1,k=1", {"'=1'", "key=value"}},
      {"gemm:m=1,n=1,k=1,", {"key=value"}},
      {"gemm:M=1,n=1,k=1", {"key 'M'"}},
      {"Gemm:m=1,n=1,k=1", {"kernel name 'Gemm'"}},
      {"gemm:m=1,n=1,k=1,ta=2", {"'ta=2'", "0 or 1"}},
      {"gemm:m=1,n=1,k=1,tb=yes", {"'tb=yes'", "0 or 1"}},
      {"gemm:m=1,n=1,k=1,dtype=fp64", {"'fp64'", "fp32, bf16, fp16, fp8"}},
      {"gemm:m=1,n=1,k=1,dtype=e4m3", {"'e4m3'"}},
      {"m=1,n=1,k=1", {"'m=1,n=1,k=1'", "no kernel prefix"}},
  };
  for (const Case& c : cases) expect_bad_input(parse_problem(c.text), c.text, c.needles);
}

TEST(ProblemStringTest, SpecRejectsSweepSyntax) {
  for (const std::string text : {"gemm:m=256|512,n=1,k=1", "gemm:m=1024:8192:*2,n=1,k=1", "gemm:m=1,n=1,k=1:4:+1"}) {
    const Expected<ProblemSpec> spec = parse_problem_spec(text);
    expect_bad_input(spec, text, {"is a sweep"});
  }
  expect_bad_input(parse_problem_spec("gemm:m=256|512,n=1,k=1"), "", {"'m=256|512'"});
  expect_bad_input(parse_problem("gemm:m=1,n=1,k=128:512:+128"), "", {"'k=128:512:+128'", "is a sweep"});
}

}  // namespace
}  // namespace tb
