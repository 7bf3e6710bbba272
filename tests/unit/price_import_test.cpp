// Importing prices into the instance catalog (src/cost/price_import.h): the
// AWS Price List offer file and SkyPilot CSV fixtures in tests/data, applying
// them to a catalog, rewriting the catalog file, and every kind of bad input.
// The shipped data/instances.csv is only read; what is written goes to a
// temporary directory.
//
// Filter: --gtest_filter='PriceImport*'.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "catalog/instance_catalog.h"
#include "catalog/price_import.h"
#include "common/atomic_file.h"
#include "support/temp_dir.h"
#include "support/text.h"

#ifndef TRAINBENCH_TEST_DATA_DIR
#error "TRAINBENCH_TEST_DATA_DIR must name tests/data (set by tests/unit/CMakeLists.txt)"
#endif

namespace tb {
namespace {

using tbtest::contains;
using tbtest::TempDir;

const std::string kAwsFixture = std::string(TRAINBENCH_TEST_DATA_DIR) + "/aws-offer-ec2-small.json";
const std::string kSkyPilotFixture = std::string(TRAINBENCH_TEST_DATA_DIR) + "/skypilot-aws-small.csv";

const PriceUpdate* find_update(const std::vector<PriceUpdate>& updates, const std::string& instance,
                               const std::string& region) {
  for (const PriceUpdate& u : updates) {
    if (u.instance == instance && u.region == region) return &u;
  }
  return nullptr;
}

// A minimal offer file with one product; `product_attrs` and `dimension` are JSON members.
std::string offer(const std::string& sku, const std::string& attrs, const std::string& dimension,
                  const std::string& publication = "\"publicationDate\": \"2026-11-20T21:32:37Z\",") {
  return "{" + publication + "\"products\": {\"" + sku +
         "\": {\"sku\": \"" + sku + "\", \"productFamily\": \"Compute Instance\", \"attributes\": {" + attrs +
         "}}}, \"terms\": {\"OnDemand\": {\"" + sku + "\": {\"" + sku + ".T\": {\"priceDimensions\": {\"" + sku +
         ".T.R\": {" + dimension + "}}}}}}}";
}
const std::string kLinuxAttrs =
    "\"instanceType\": \"x.large\", \"regionCode\": \"us-east-1\", \"operatingSystem\": \"Linux\", "
    "\"tenancy\": \"Shared\", \"preInstalledSw\": \"NA\", \"capacitystatus\": \"Used\"";
std::string dimension(const std::string& usd, const std::string& unit = "Hrs") {
  return "\"unit\": \"" + unit + "\", \"pricePerUnit\": {\"USD\": \"" + usd + "\"}";
}

// Expects kBadInput whose message names every needle.
template <typename T>
void expect_bad(const Expected<T>& result, const std::vector<std::string>& needles) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kBadInput);
  for (const std::string& n : needles) {
    EXPECT_TRUE(contains(result.error().message, n)) << "'" << n << "' not in: " << result.error().message;
  }
}

TEST(PriceImportTest, AwsOfferSelectsLinuxSharedOnDemandPrices) {
  const Expected<std::vector<PriceUpdate>> u = read_price_file(kAwsFixture, PriceFileFormat::kAws, "");
  ASSERT_TRUE(u.ok()) << u.error().message;
  // p4d and p5 in us-east-1, p4d in us-west-2 (from "location"); not the
  // Windows, Dedicated or unused-reservation products, nor data transfer.
  ASSERT_EQ(u->size(), 3u);
  const PriceUpdate* p4d = find_update(*u, "p4d.24xlarge", "us-east-1");
  const PriceUpdate* p5 = find_update(*u, "p5.48xlarge", "us-east-1");
  ASSERT_NE(p4d, nullptr);
  ASSERT_NE(p5, nullptr);
  ASSERT_NE(find_update(*u, "p4d.24xlarge", "us-west-2"), nullptr);
  EXPECT_EQ(p4d->usd_per_hour, 21.957642);
  EXPECT_EQ(p5->usd_per_hour, 55.04);
  EXPECT_FALSE(p5->spot_usd_per_hour);
  EXPECT_EQ(p5->date, "2026-11-20");
  EXPECT_EQ(p5->source, "AWS Price List aws-offer-ec2-small.json, published 2026-11-20");
}

TEST(PriceImportTest, AppliesToTheSameInstanceAndRegionOnly) {
  Expected<InstanceCatalog> catalog = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  const Expected<std::vector<PriceUpdate>> u = read_price_file(kAwsFixture, PriceFileFormat::kAws, "");
  ASSERT_TRUE(u.ok()) << u.error().message;
  const Expected<PriceImport> imported1 = apply_price_updates(*catalog, *u);
  ASSERT_TRUE(imported1.ok()) << imported1.error().message;
  const PriceImport& result = *imported1;
  ASSERT_EQ(result.updated.size(), 2u);
  EXPECT_EQ(result.updated[0].instance, "p4d.24xlarge");  // catalog order
  EXPECT_EQ(result.updated[1].instance, "p5.48xlarge");
  EXPECT_EQ(result.updated[1].old_usd_per_hour, 55.04);
  EXPECT_EQ(result.updated[1].new_usd_per_hour, 55.04);
  EXPECT_EQ(result.no_price.size(), catalog->instances.size() - 2);
  EXPECT_NE(std::find(result.no_price.begin(), result.no_price.end(), "trn2.48xlarge"), result.no_price.end());
  const Instance p4d = *catalog->find("p4d.24xlarge");
  EXPECT_EQ(p4d.on_demand_usd_per_hour, 21.957642);
  EXPECT_EQ(p4d.price_date, "2026-11-20");
  EXPECT_EQ(p4d.price_status, PriceStatus::kVerified);
  EXPECT_EQ(p4d.price_source, "AWS Price List aws-offer-ec2-small.json, published 2026-11-20");
  EXPECT_EQ(catalog->find("p4de.24xlarge")->price_date, "2026-11-01") << "not in the file: unchanged";
}

// An AWS offer file published in 2024 must not silently replace a price
// dated 2026-11-01: refused naming both dates, catalog untouched, unless forced.
TEST(PriceImportTest, AnOlderFileDoesNotReplaceANewerPrice) {
  Expected<InstanceCatalog> catalog = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  const std::vector<PriceUpdate> old = {
      {"p5.48xlarge", "us-east-1", 98.32, std::nullopt, "AWS Price List old.json, published 2024-05-01", "2024-05-01"}};
  const Expected<PriceImport> refused = apply_price_updates(*catalog, old);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kBadInput);
  for (const char* part : {"p5.48xlarge", "2026-11-01", "2024-05-01", "--force"}) {
    EXPECT_NE(refused.error().message.find(part), std::string::npos) << part << ": " << refused.error().message;
  }
  EXPECT_EQ(catalog->find("p5.48xlarge")->on_demand_usd_per_hour, 55.04) << "unchanged";
  const Expected<PriceImport> forced = apply_price_updates(*catalog, old, /*replace_newer=*/true);
  ASSERT_TRUE(forced.ok()) << forced.error().message;
  EXPECT_EQ(catalog->find("p5.48xlarge")->on_demand_usd_per_hour, 98.32);
  EXPECT_EQ(catalog->find("p5.48xlarge")->price_date, "2024-05-01");
}

TEST(PriceImportTest, RewritesOnlyTheUpdatedRowsKeepingComments) {
  const TempDir dir;
  const Expected<std::string> original = read_file(default_instance_catalog_path());
  ASSERT_TRUE(original.ok()) << original.error().message;
  const std::string path = dir.write("instances.csv", *original);
  Expected<InstanceCatalog> catalog = read_instance_catalog(path);
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  const Expected<PriceImport> imported2 = apply_price_updates(*catalog, *read_price_file(kAwsFixture, PriceFileFormat::kAws, ""));
  ASSERT_TRUE(imported2.ok()) << imported2.error().message;
  const PriceImport& result = *imported2;
  std::vector<std::string> changed;
  for (const PriceChange& c : result.updated) changed.push_back(c.instance);
  const Expected<std::string> text = render_catalog_with_prices(*original, *catalog, changed);
  ASSERT_TRUE(text.ok()) << text.error().message;
  ASSERT_TRUE(write_file_atomically(path, *text).ok());

  const Expected<InstanceCatalog> back = read_instance_catalog(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->instances.size(), catalog->instances.size());
  const Instance p5 = *back->find("p5.48xlarge");
  EXPECT_EQ(p5.on_demand_usd_per_hour, 55.04);
  EXPECT_EQ(p5.price_date, "2026-11-20");
  EXPECT_EQ(p5.price_source, "AWS Price List aws-offer-ec2-small.json, published 2026-11-20");
  EXPECT_EQ(p5.specs_source, catalog->find("p5.48xlarge")->specs_source);
  EXPECT_EQ(p5.peak_bf16_tflops, 989.0);

  // Every line but the two updated rows is kept byte for byte.
  const std::vector<std::string> before = tbtest::lines_of(*original), after = tbtest::lines_of(*text);
  ASSERT_EQ(before.size(), after.size());
  int differing = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i] == after[i]) continue;
    ++differing;
    EXPECT_TRUE(after[i].rfind("aws,p4d.24xlarge,", 0) == 0 || after[i].rfind("aws,p5.48xlarge,", 0) == 0) << after[i];
  }
  EXPECT_EQ(differing, 2);
  EXPECT_TRUE(contains(*text, "# trainbench instance catalog")) << "comments kept";
  EXPECT_TRUE(contains(*text, "\"AWS Price List aws-offer-ec2-small.json, published 2026-11-20\",2026-11-20,verified"))
      << *text;
}

TEST(PriceImportTest, UnverifiedAndMissingBecomeVerified) {
  const TempDir dir;
  const std::string csv =
      "# a comment\r\n"
      "provider,instance,region,accelerator,accelerator_count,on_demand_usd_per_hour,spot_usd_per_hour,"
      "price_source,price_date,price_status\r\n"
      "aws,x.large,us-east-1,none,0,,,\"unverified: sources say 1 and 2\",,unverified\r\n"
      "aws,y.large,us-east-1,none,0,,,not known,,missing\r\n"
      "aws,z.large,eu-west-1,none,0,3,,old,2026-01-01,verified\r\n";
  const std::string path = dir.write("c.csv", csv);
  Expected<InstanceCatalog> catalog = read_instance_catalog(path);
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  const std::vector<PriceUpdate> updates = {
      {"x.large", "us-east-1", 1.5, std::nullopt, "src", "2026-11-20"},
      {"y.large", "us-east-1", 0.25, 0.1, "src", "2026-11-20"},
      {"z.large", "us-east-1", 9, std::nullopt, "src", "2026-11-20"},  // another region: ignored
  };
  const Expected<PriceImport> imported3 = apply_price_updates(*catalog, updates);
  ASSERT_TRUE(imported3.ok()) << imported3.error().message;
  const PriceImport& result = *imported3;
  ASSERT_EQ(result.updated.size(), 2u);
  EXPECT_EQ(result.no_price, std::vector<std::string>{"z.large"});
  EXPECT_FALSE(result.updated[0].old_usd_per_hour);
  const Expected<std::string> text =
      render_catalog_with_prices(*read_file(path), *catalog, {result.updated[0].instance, result.updated[1].instance});
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_TRUE(contains(*text, "aws,x.large,us-east-1,none,0,1.5,,src,2026-11-20,verified\r\n")) << *text;
  EXPECT_TRUE(contains(*text, "aws,y.large,us-east-1,none,0,0.25,0.1,src,2026-11-20,verified\r\n")) << *text;
  EXPECT_TRUE(contains(*text, "aws,z.large,eu-west-1,none,0,3,,old,2026-01-01,verified\r\n")) << *text;
  const Expected<InstanceCatalog> back = read_instance_catalog(dir.write("d.csv", *text));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->find("y.large")->spot_usd_per_hour, 0.1);
  EXPECT_EQ(back->find("x.large")->price_status, PriceStatus::kVerified);
}

TEST(PriceImportTest, CatalogWithoutPriceDateColumnCannotTakeAPrice) {
  const TempDir dir;
  const std::string csv =
      "provider,instance,region,accelerator,accelerator_count,on_demand_usd_per_hour,price_status\n"
      "aws,x.large,us-east-1,none,0,,missing\n";
  const std::string path = dir.write("c.csv", csv);
  Expected<InstanceCatalog> catalog = read_instance_catalog(path);
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  ASSERT_TRUE(apply_price_updates(*catalog, {{"x.large", "us-east-1", 1.5, std::nullopt, "src", "2026-11-20"}}).ok());
  expect_bad(render_catalog_with_prices(csv, *catalog, {"x.large"}), {"c.csv", "no price_source column", "x.large"});
}

TEST(PriceImportTest, RejectsFilesThatAreNotOfferFiles) {
  expect_bad(parse_aws_offer("{\"products\": ", "f.json"), {"f.json", "not JSON"});
  expect_bad(parse_aws_offer("[1, 2]", "f.json"), {"f.json", "not an AWS Price List offer file"});
  expect_bad(parse_aws_offer("{\"terms\": {\"OnDemand\": {}}}", "f.json"), {"f.json", "\"products\""});
  expect_bad(parse_aws_offer("{\"publicationDate\": \"2026-11-20T00:00:00Z\", \"products\": {}}", "f.json"),
             {"f.json", "\"terms\""});
  expect_bad(parse_aws_offer("{\"publicationDate\": \"2026-11-20T00:00:00Z\", \"products\": {}, \"terms\": {}}",
                             "f.json"),
             {"f.json", "OnDemand"});
  expect_bad(parse_aws_offer(offer("SKU1", kLinuxAttrs, dimension("1.0"), ""), "f.json"), {"f.json", "publicationDate"});
  expect_bad(parse_aws_offer(offer("SKU1", kLinuxAttrs, dimension("1.0"), "\"publicationDate\": \"20 Nov 2026\","),
                             "f.json"),
             {"f.json", "publicationDate '20 Nov 2026'"});
  const Expected<std::vector<PriceUpdate>> ok = parse_aws_offer(offer("SKU1", kLinuxAttrs, dimension("1.0")), "f.json");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ(ok->at(0).usd_per_hour, 1.0);
}

TEST(PriceImportTest, RejectsBadPricesAndUnitsNamingTheSku) {
  for (const char* bad : {"-1.0", "abc", "", "1.2.3", "nan", "1e", "0x10"}) {
    expect_bad(parse_aws_offer(offer("SKUBAD", kLinuxAttrs, dimension(bad)), "f.json"),
               {"f.json", "SKU SKUBAD", std::string("price '") + bad + "'", "not a non-negative decimal"});
  }
  expect_bad(parse_aws_offer(offer("SKUQ", kLinuxAttrs, dimension("1.0", "Quantity")), "f.json"),
             {"f.json", "SKU SKUQ", "unit 'Quantity'", "expected Hrs"});
  expect_bad(parse_aws_offer(offer("SKUN", kLinuxAttrs, "\"unit\": \"Hrs\""), "f.json"),
             {"f.json", "SKU SKUN", "pricePerUnit"});
  // Ignored products are not checked.
  std::string windows = kLinuxAttrs;
  windows.replace(windows.find("Linux"), 5, "Windows");
  const Expected<std::vector<PriceUpdate>> ignored =
      parse_aws_offer(offer("SKUW", windows, dimension("-1", "Quantity")), "f.json");
  ASSERT_TRUE(ignored.ok()) << ignored.error().message;
  EXPECT_TRUE(ignored->empty());
}

TEST(PriceImportTest, SkyPilotTakesEachRegionsLowestRegularZoneSpotPrice) {
  const Expected<std::vector<PriceUpdate>> u =
      read_price_file(kSkyPilotFixture, PriceFileFormat::kSkyPilot, "2026-11-30");
  ASSERT_TRUE(u.ok()) << u.error().message;
  ASSERT_EQ(u->size(), 4u);  // p4d, p5 (us-east-1), p5 (us-west-2), g5; trn2 has no price
  const PriceUpdate* p4d = find_update(*u, "p4d.24xlarge", "us-east-1");
  ASSERT_NE(p4d, nullptr);
  EXPECT_EQ(p4d->usd_per_hour, 21.957642);
  EXPECT_EQ(p4d->spot_usd_per_hour, 8.9472) << "us-east-1a's, below us-east-1b's 9.1234";
  EXPECT_EQ(p4d->date, "2026-11-30");
  EXPECT_EQ(p4d->source, "SkyPilot catalog skypilot-aws-small.csv (spot: lowest over us-east-1's regular zones, us-east-1a)");
  EXPECT_FALSE(find_update(*u, "p5.48xlarge", "us-east-1")->spot_usd_per_hour);
  EXPECT_EQ(find_update(*u, "p5.48xlarge", "us-west-2")->spot_usd_per_hour, 20.5);
  EXPECT_EQ(find_update(*u, "trn2.48xlarge", "us-east-1"), nullptr);

  Expected<InstanceCatalog> catalog = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  const Expected<PriceImport> imported4 = apply_price_updates(*catalog, *u);
  ASSERT_TRUE(imported4.ok()) << imported4.error().message;
  const PriceImport& result = *imported4;
  ASSERT_EQ(result.updated.size(), 3u);
  EXPECT_EQ(catalog->find("g5.xlarge")->spot_usd_per_hour, 0.4013);
  EXPECT_FALSE(catalog->find("p5.48xlarge")->spot_usd_per_hour) << "no SpotPrice: left as it was";
  EXPECT_EQ(catalog->find("trn2.48xlarge")->price_status, PriceStatus::kUnverified) << "no price: unchanged";
}

// What SkyPilot's catalog held for p5.48xlarge in us-east-1: a Local Zone
// (Atlanta) listed first and cheapest, an empty cell, then the regular zones.
// The Local Zone is skipped, the empty cell too, and the lowest regular zone
// is taken, named in the source (SkyPilot takes the cheapest zone for spot).
TEST(PriceImportTest, SkyPilotSpotSkipsLocalZonesAndEmptyCells) {
  const std::string csv =
      "InstanceType,Price,SpotPrice,Region,AvailabilityZone\n"
      "p5.48xlarge,55.04,10.24,us-east-1,use1-atl2-az1\n"
      "p5.48xlarge,55.04,,us-east-1,use1-az1\n"
      "p5.48xlarge,55.04,55.04,us-east-1,use1-az2\n"
      "p5.48xlarge,55.04,17.63,us-east-1,use1-az4\n"
      "p5.48xlarge,55.04,9.00,us-east-1,us-east-1-atl-2a\n"
      "p5.48xlarge,55.04,18.00,us-east-1,us-east-1c\n"
      "p5.48xlarge,55.04,8.00,us-west-2,us-west-2-lax-1a\n";
  const Expected<std::vector<PriceUpdate>> u = parse_skypilot_catalog(csv, "sky.csv", "2026-12-07");
  ASSERT_TRUE(u.ok()) << u.error().message;
  const PriceUpdate* east = find_update(*u, "p5.48xlarge", "us-east-1");
  ASSERT_NE(east, nullptr);
  EXPECT_EQ(east->usd_per_hour, 55.04);
  EXPECT_EQ(east->spot_usd_per_hour, 17.63);
  EXPECT_EQ(east->source, "SkyPilot catalog sky.csv (spot: lowest over us-east-1's regular zones, use1-az4)");
  const PriceUpdate* west = find_update(*u, "p5.48xlarge", "us-west-2");
  ASSERT_NE(west, nullptr);
  EXPECT_FALSE(west->spot_usd_per_hour) << "only a Local Zone priced it: no spot price";
}

TEST(PriceImportTest, RegularZonesAreNamesAndIdsOfTheRegion) {
  EXPECT_TRUE(is_regular_zone("us-east-1a", "us-east-1"));
  EXPECT_TRUE(is_regular_zone("use1-az1", "us-east-1"));
  EXPECT_TRUE(is_regular_zone("usw2-az3", "us-west-2"));
  EXPECT_FALSE(is_regular_zone("use1-atl2-az1", "us-east-1"));
  EXPECT_FALSE(is_regular_zone("us-east-1-atl-2a", "us-east-1"));
  EXPECT_FALSE(is_regular_zone("us-east-1-wl1-bos-wlz-1", "us-east-1"));
  EXPECT_FALSE(is_regular_zone("us-west-2a", "us-east-1"));
}

TEST(PriceImportTest, SkyPilotRejectsMissingColumnsAndBadNumbers) {
  expect_bad(parse_skypilot_catalog("InstanceType,Region\nx.large,us-east-1\n", "s.csv", "2026-11-25"),
             {"s.csv:1", "missing column 'Price'"});
  expect_bad(parse_skypilot_catalog("InstanceType,Price,SpotPrice,Region\nx.large,1.5,,us-east-1\n"
                                    "y.large,1,5,0.5,us-east-1\n",
                                    "s.csv", "2026-11-25"),
             {"s.csv:3", "5 fields", "expected 4"});
  expect_bad(parse_skypilot_catalog("InstanceType,Price,SpotPrice,Region\nx.large,1.5x,,us-east-1\n", "s.csv",
                                    "2026-11-25"),
             {"s.csv:2", "Price '1.5x'", "x.large", "not a non-negative decimal"});
  expect_bad(parse_skypilot_catalog("InstanceType,Price,SpotPrice,Region\n\nx.large,1.5,-0.2,us-east-1\n", "s.csv",
                                    "2026-11-25"),
             {"s.csv:3", "SpotPrice '-0.2'"});
  expect_bad(parse_skypilot_catalog("", "s.csv", "2026-11-25"), {"s.csv", "header"});
  expect_bad(parse_skypilot_catalog("InstanceType,Price,Region\n", "s.csv", "2026-13-01"), {"'2026-13-01'"});
}

TEST(PriceImportTest, FormatsFromNamesAndFlags) {
  EXPECT_EQ(*price_file_format_of("a/b/offer.json"), PriceFileFormat::kAws);
  EXPECT_EQ(*price_file_format_of("vms.csv"), PriceFileFormat::kSkyPilot);
  expect_bad(price_file_format_of("prices.txt"), {"prices.txt", "--format"});
  EXPECT_EQ(*parse_price_file_format("skypilot"), PriceFileFormat::kSkyPilot);
  expect_bad(parse_price_file_format("gcp"), {"'gcp'", "aws or skypilot"});
  EXPECT_EQ(format_price(21.957642), "21.957642");
  EXPECT_EQ(format_price(55.04), "55.04");
}

}  // namespace
}  // namespace tb
