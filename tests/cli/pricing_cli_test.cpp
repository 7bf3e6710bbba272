// End-to-end tests of `trainbench pricing import`: the price-file fixtures in
// tests/data imported into a temporary copy of data/instances.csv (the shipped
// file is never written), checked with read_instance_catalog.
//
// Filter: --gtest_filter='PricingImport*'.
#include <string>
#include <vector>

#include "catalog/instance_catalog.h"
#include "cli_test_support.h"

namespace tbtest {
namespace {

using PricingImport = CliTest;

const std::string kAwsFixture = std::string(TRAINBENCH_TEST_DATA_DIR) + "/aws-offer-ec2-small.json";
const std::string kSkyPilotFixture = std::string(TRAINBENCH_TEST_DATA_DIR) + "/skypilot-aws-small.csv";

// Words of the output line whose first word is `first`; empty when absent.
std::vector<std::string> row_of(const std::string& out, const std::string& first) {
  for (const std::string& line : lines_of(out)) {
    const std::vector<std::string> words = words_of(line);
    if (!words.empty() && words[0] == first) return words;
  }
  return {};
}

TEST_F(PricingImport, AwsOfferUpdatesACopyOfTheCatalog) {
  const fs::path catalog = dir_ / "instances.csv";
  const std::string shipped = read_text(TRAINBENCH_CATALOG);
  write_text(catalog, shipped);
  const ProcessResult r = trainbench({"pricing", "import", kAwsFixture, "--catalog", catalog.string()});
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_EQ(words_of(lines_of(r.out).at(0)),
            (std::vector<std::string>{"instance", "old_on_demand", "new_on_demand", "price_date"}));
  EXPECT_EQ(row_of(r.out, "p5.48xlarge"), (std::vector<std::string>{"p5.48xlarge", "55.04", "55.04", "2026-11-20"}));
  EXPECT_EQ(row_of(r.out, "p4d.24xlarge"),
            (std::vector<std::string>{"p4d.24xlarge", "21.957642", "21.957642", "2026-11-20"}));
  EXPECT_TRUE(row_of(r.out, "trn2.48xlarge").empty()) << r.out;
  EXPECT_NE(r.out.find("updated 2 of 19 instances"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("trn2.48xlarge"), std::string::npos) << "listed as having no price:\n" << r.out;

  const tb::Expected<tb::InstanceCatalog> c = tb::read_instance_catalog(catalog.string());
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->instances.size(), 19u);
  const tb::Instance p5 = *c->find("p5.48xlarge");
  EXPECT_EQ(p5.on_demand_usd_per_hour, 55.04);
  EXPECT_EQ(p5.price_date, "2026-11-20");
  EXPECT_EQ(p5.price_source, "AWS Price List aws-offer-ec2-small.json, published 2026-11-20");
  EXPECT_EQ(p5.price_status, tb::PriceStatus::kVerified);
  EXPECT_EQ(c->find("p4de.24xlarge")->price_date, "2026-11-01") << "not in the file: unchanged";
  EXPECT_EQ(read_text(TRAINBENCH_CATALOG), shipped) << "the shipped catalog must not be written";
}

TEST_F(PricingImport, SkyPilotWithDateWritesToOut) {
  const fs::path catalog = dir_ / "instances.csv";
  const fs::path out = dir_ / "updated.csv";
  const std::string shipped = read_text(TRAINBENCH_CATALOG);
  write_text(catalog, shipped);
  const ProcessResult r = trainbench({"pricing", "import", kSkyPilotFixture, "--format", "skypilot", "--catalog",
                                      catalog.string(), "--out", out.string(), "--date", "2026-11-30"});
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_EQ(row_of(r.out, "g5.xlarge"), (std::vector<std::string>{"g5.xlarge", "1.006", "1.006", "0.4013", "2026-11-30"}));
  EXPECT_EQ(read_text(catalog), shipped) << "--out: the catalog itself is left alone";
  const tb::Expected<tb::InstanceCatalog> c = tb::read_instance_catalog(out.string());
  ASSERT_TRUE(c.ok()) << c.error().message;
  const tb::Instance g5 = *c->find("g5.xlarge");
  EXPECT_EQ(g5.spot_usd_per_hour, 0.4013);
  EXPECT_EQ(g5.price_date, "2026-11-30");
  EXPECT_EQ(g5.price_source, "SkyPilot catalog skypilot-aws-small.csv (spot: lowest over us-east-1's regular zones, us-east-1a)");
}

// An offer file published in 2024 against a catalog whose prices are dated
// 2026-11-01: exit 2 naming both dates, nothing written; --force imports it.
TEST_F(PricingImport, AnOlderOfferFileIsRefusedUnlessForced) {
  const fs::path catalog = dir_ / "instances.csv";
  const std::string shipped = read_text(TRAINBENCH_CATALOG);
  write_text(catalog, shipped);
  std::string offer = read_text(kAwsFixture);
  const std::size_t at = offer.find("2026-11-20T");
  ASSERT_NE(at, std::string::npos);
  offer.replace(at, 10, "2024-05-01");
  const fs::path old = dir_ / "old-offer.json";
  write_text(old, offer);
  const ProcessResult refused = trainbench({"pricing", "import", old.string(), "--catalog", catalog.string()});
  expect_bad_input(refused, {"p4d.24xlarge", "2026-11-01", "2024-05-01", "--force"}, false, {catalog, old});
  EXPECT_EQ(read_text(catalog), shipped);
  const ProcessResult forced =
      trainbench({"pricing", "import", old.string(), "--catalog", catalog.string(), "--force"});
  ASSERT_TRUE(exited_with(forced, 0)) << forced.err;
  const tb::Expected<tb::InstanceCatalog> c = tb::read_instance_catalog(catalog.string());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->find("p5.48xlarge")->price_date, "2024-05-01");
}

TEST_F(PricingImport, BadPriceFileExitsTwoAndWritesNothing) {
  const fs::path catalog = dir_ / "instances.csv";
  const std::string shipped = read_text(TRAINBENCH_CATALOG);
  write_text(catalog, shipped);
  const fs::path bad = dir_ / "offer.json";
  write_text(bad,
             "{\"publicationDate\": \"2026-11-20T00:00:00Z\", \"products\": {\"SKUX\": {\"productFamily\": "
             "\"Compute Instance\", \"attributes\": {\"instanceType\": \"p5.48xlarge\", \"regionCode\": "
             "\"us-east-1\", \"operatingSystem\": \"Linux\", \"tenancy\": \"Shared\", \"preInstalledSw\": \"NA\", "
             "\"capacitystatus\": \"Used\"}}}, \"terms\": {\"OnDemand\": {\"SKUX\": {\"SKUX.T\": {\"priceDimensions\": "
             "{\"SKUX.T.R\": {\"unit\": \"Hrs\", \"pricePerUnit\": {\"USD\": \"-55.04\"}}}}}}}}");
  const fs::path out = dir_ / "updated.csv";
  const ProcessResult r =
      trainbench({"pricing", "import", bad.string(), "--catalog", catalog.string(), "--out", out.string()});
  expect_bad_input(r, {bad.string(), "SKU SKUX", "price '-55.04'", "not a non-negative decimal"}, false,
                   {catalog, bad});
  EXPECT_EQ(read_text(catalog), shipped);

  const ProcessResult not_json =
      trainbench({"pricing", "import", kSkyPilotFixture, "--format", "aws", "--catalog", catalog.string()});
  expect_bad_input(not_json, {kSkyPilotFixture, "not JSON"}, false, {catalog, bad});
  EXPECT_EQ(read_text(catalog), shipped);
}

}  // namespace
}  // namespace tbtest
