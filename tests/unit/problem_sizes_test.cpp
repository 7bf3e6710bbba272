// Sizes whose byte counts overflow 64-bit arithmetic: the checked helpers
// (src/common/checked_math.h) and parse_problem's refusal of such problems
// for every kernel (Problem::check_sizes), before anything is allocated.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/checked_math.h"
#include "kernels/kernel_registry.h"

namespace tb {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

TEST(CheckedMathTest, ProductsAndSumsThatFitAreExact) {
  EXPECT_EQ(checked_mul(std::int64_t{1} << 31, std::int64_t{1} << 31), std::int64_t{1} << 62);
  EXPECT_EQ(checked_mul(kMax, 1), kMax);
  EXPECT_EQ(checked_add(kMax - 1, 1), kMax);
  const std::vector<std::int64_t> dims = {2147483647, 2147483647, 1};
  EXPECT_EQ(checked_product(dims), std::int64_t{2147483647} * 2147483647);
  EXPECT_EQ(checked_product(std::vector<std::int64_t>{}), 1);
}

TEST(CheckedMathTest, OverflowIsNullopt) {
  EXPECT_EQ(checked_mul(std::int64_t{1} << 32, std::int64_t{1} << 31), std::nullopt);
  EXPECT_EQ(checked_mul(kMax, 2), std::nullopt);
  EXPECT_EQ(checked_add(kMax, 1), std::nullopt);
  const std::vector<std::int64_t> dims = {2147483647, 2147483647, 2147483647};
  EXPECT_EQ(checked_product(dims), std::nullopt);
}

// parse_problem refuses `text` as bad input whose message contains every needle.
void expect_refused(const std::string& text, const std::vector<std::string>& needles) {
  const Expected<ProblemPtr> p = parse_problem(text);
  ASSERT_FALSE(p.ok()) << text << " was accepted";
  EXPECT_EQ(p.error().code, ErrorCode::kBadInput);
  for (const std::string& needle : needles) {
    EXPECT_NE(p.error().message.find(needle), std::string::npos) << text << ": " << p.error().message;
  }
}

TEST(ProblemSizesTest, GemmWhoseByteCountOverflowsIsRefusedNamingTheTensor) {
  // m x k = 2^62 - 2^32 + 1 elements fit; x 4 bytes does not.
  expect_refused("gemm:m=2147483647,n=2147483647,k=2147483647",
                 {"tensor a", "2147483647 x 2147483647 fp32", "overflows 64-bit", "expected sizes whose tensors fit"});
  expect_refused("gemm:m=2147483647,n=1,k=2147483647,dtype=bf16", {"tensor a", "2^60 bytes"});
  // Only C is large: fp8 A and B are small, C (bf16) is 2^63 - 2^33 + 2 bytes.
  expect_refused("gemm:m=2147483647,n=2147483647,k=1,dtype=fp8", {"tensor c", "bf16", "2^60 bytes"});
}

TEST(ProblemSizesTest, ValuesBeyondInt64AreTooLargeNotMalformed) {
  expect_refused("gemm:m=99999999999999999999,n=1,k=1", {"'m=99999999999999999999' is too large",
                                                         "9223372036854775807"});
  expect_refused("gemm:m=9223372036854775807,n=1,k=1", {"'m=9223372036854775807' is out of range"});
  expect_refused("gemm:m=4611686018427387904,n=1,k=1", {"out of range"});
}

TEST(ProblemSizesTest, AttentionAndAllreduceAtTheirLimitsCountInInt64) {
  // The largest attention and all-reduce shapes parse, and their byte counts
  // are exact (the memory check, not overflow, refuses them later).
  const Expected<ProblemPtr> attention = parse_problem("attention:b=1024,h=1024,sq=1M,d=256,pass=fwdbwd");
  ASSERT_TRUE(attention.ok()) << attention.error().message;
  EXPECT_GT((*attention)->host_bytes(), std::int64_t{1} << 52);
  EXPECT_LT((*attention)->host_bytes(), Problem::kMaxTensorBytes);
  expect_refused("attention:b=1M,h=1M,sq=1M,d=1024", {"2^48 elements"});
  const Expected<ProblemPtr> allreduce = parse_problem("allreduce:bytes=1024G,ranks=256,inplace=0");
  ASSERT_TRUE(allreduce.ok()) << allreduce.error().message;
  EXPECT_EQ((*allreduce)->host_bytes(), std::int64_t{2} * 256 * (std::int64_t{1} << 40));
}

}  // namespace
}  // namespace tb
