// Inputs that would exhaust the machine (issue 15, section 5): each is refused
// with one message naming the bad value, exit status 2, within seconds and
// bounded memory, and nothing written.
#include <gtest/gtest.h>

#include "cli_test_support.h"

namespace tbtest {
namespace {

constexpr double kMaxSeconds = 10.0;
constexpr long long kMaxPeakRssBytes = 200LL << 20;

class HostileInput : public CliTest {
 protected:
  // expect_bad_input, and the refusal came quickly with bounded memory.
  void expect_refused(const ProcessResult& r, const std::vector<std::string>& needles,
                      const std::vector<fs::path>& keep = {}) const {
    expect_bad_input(r, needles, false, keep);
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

}  // namespace
}  // namespace tbtest
