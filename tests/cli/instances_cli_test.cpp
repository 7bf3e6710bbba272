// End-to-end tests of `trainbench list instances`: the shipped catalog as a
// table with a units row, stale-price warnings, and a broken --catalog.
//
// Filter: --gtest_filter='ListInstances*'.
#include <string>
#include <vector>

#include "cli_test_support.h"

namespace tbtest {
namespace {

using ListInstances = CliTest;

TEST_F(ListInstances, PrintsTheShippedCatalogWithUnits) {
  const ProcessResult r = trainbench({"list", "instances"});
  ASSERT_TRUE(exited_with(r, 0));
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_GE(lines.size(), 3u) << r.out;
  EXPECT_EQ(words_of(lines[0]),
            (std::vector<std::string>{"instance", "accelerator", "peak_bf16", "on_demand", "price_status", "price_date",
                                      "price_source"}));
  EXPECT_EQ(words_of(lines[1]), (std::vector<std::string>{"(type", "x", "count)", "(TFLOPS/acc)", "(USD/h)"}));
  EXPECT_EQ(lines.size(), 2u + 19u) << r.out;
  const std::vector<std::string> p5 = row_starting(r.out, "p5.48xlarge");
  ASSERT_GE(p5.size(), 8u) << r.out;
  EXPECT_EQ(std::vector<std::string>(p5.begin() + 1, p5.begin() + 8),
            (std::vector<std::string>{"H100-SXM", "x8", "989", "55.04", "verified", "2026-11-01", "AWS"}));
  const std::vector<std::string> trn2 = row_starting(r.out, "trn2.48xlarge");
  ASSERT_GE(trn2.size(), 7u) << r.out;
  EXPECT_EQ(trn2[4], "-") << "unverified prices are left empty";
  EXPECT_EQ(trn2[5], "unverified");
  const std::vector<std::string> cpu = row_starting(r.out, "c7a.xlarge");
  ASSERT_GE(cpu.size(), 6u) << r.out;
  EXPECT_EQ(std::vector<std::string>(cpu.begin() + 1, cpu.begin() + 6),
            (std::vector<std::string>{"-", "-", "-", "missing", "-"}));
}

TEST_F(ListInstances, WarnsAboutStalePricesOnStderr) {
  const ProcessResult r = trainbench({"list", "instances", "--max-price-age-days", "0"});
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_NE(r.err.find("trainbench: warning: trn1.32xlarge: price dated 2026-06-01"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("p5e.48xlarge"), std::string::npos) << "no price, no warning:\n" << r.err;
}

TEST_F(ListInstances, BrokenCatalogExitsTwoNamingFileAndLine) {
  const fs::path catalog = dir_ / "broken.csv";
  write_text(catalog,
             "# a comment\n"
             "provider,instance,region,accelerator,accelerator_count,on_demand_usd_per_hour,price_date,price_status\n"
             "aws,x.large,us-east-1,none,0,-3,2026-11-01,verified\n");
  const ProcessResult r = trainbench({"list", "instances", "--catalog", catalog.string()});
  expect_bad_input(r, {catalog.string() + ":3:", "on_demand_usd_per_hour -3 is negative"}, false, {catalog});
}

}  // namespace
}  // namespace tbtest
