// The instance catalog (src/cost/instance_catalog.h): the shipped
// data/instances.csv, every kind of bad input with its file:line, stale-price
// warnings and "did you mean" suggestions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "catalog/instance_catalog.h"
#include "common/suggest.h"
#include "support/temp_dir.h"

namespace tb {
namespace {

using tbtest::TempDir;

constexpr const char* kHeader =
    "provider,instance,region,accelerator,accelerator_count,accelerator_memory_gib,vcpus,host_memory_gib,"
    "peak_fp32_tflops,peak_tf32_tflops,peak_bf16_tflops,peak_fp8_tflops,memory_bandwidth_gb_per_s,"
    "intra_node_link_gb_per_s,network_gbit_per_s,on_demand_usd_per_hour,spot_usd_per_hour,"
    "capacity_block_usd_per_hour,specs_source,specs_date,price_source,price_date,price_status\n";

// A valid row with the given instance name and on-demand price fields.
std::string row(const std::string& name, const std::string& price = "55.04", const std::string& price_date = "2026-11-01",
                const std::string& status = "verified") {
  return "aws," + name + ",us-east-1,H100-SXM,8,74.5,192,2048,67,495,989,1979,3350,900,3200," + price +
         ",,,\"NVIDIA H100 datasheet, dense\",2026-11-26,public tables," + price_date + "," + status + "\n";
}

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// Writes `content` to catalog.csv and expects kBadInput naming catalog.csv:<line> and every needle.
void expect_bad(const std::string& content, int line, const std::vector<std::string>& needles) {
  const TempDir dir;
  const std::string path = dir.write("catalog.csv", content);
  const Expected<InstanceCatalog> c = read_instance_catalog(path);
  ASSERT_FALSE(c.ok()) << "accepted:\n" << content;
  EXPECT_EQ(c.error().code, ErrorCode::kBadInput);
  const std::string& m = c.error().message;
  EXPECT_TRUE(contains(m, path + ":" + std::to_string(line) + ":")) << m;
  for (const std::string& n : needles) EXPECT_TRUE(contains(m, n)) << "'" << n << "' not in: " << m;
}

TEST(InstanceCatalogTest, ShippedCatalogHasEveryInstance) {
  const Expected<InstanceCatalog> c = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(c.ok()) << c.error().message;
  for (const char* name :
       {"trn1.2xlarge", "trn1.32xlarge", "trn1n.32xlarge", "trn2.48xlarge", "inf2.xlarge", "inf2.48xlarge",
        "p4d.24xlarge", "p4de.24xlarge", "p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge", "p6-b200.48xlarge",
        "g5.xlarge", "g6e.xlarge", "g6e.48xlarge", "c7a.xlarge", "c7i.xlarge", "m7a.xlarge", "c7a.48xlarge"}) {
    const Expected<Instance> i = c->find(name);
    ASSERT_TRUE(i.ok()) << i.error().message;
    EXPECT_FALSE(i->specs_source.empty()) << name;
    EXPECT_FALSE(i->price_source.empty()) << name;
    if (i->on_demand_usd_per_hour) {
      EXPECT_FALSE(i->price_date.empty()) << name;
    }
  }
  EXPECT_EQ(c->instances.size(), 19u);
}

TEST(InstanceCatalogTest, ShippedFiguresMatchTheReference) {
  const Expected<InstanceCatalog> c = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Instance p5 = *c->find("p5.48xlarge");
  EXPECT_EQ(p5.accelerator_count, 8);
  EXPECT_EQ(p5.peak_bf16_tflops, 989.0);
  EXPECT_EQ(p5.on_demand_usd_per_hour, 55.04);
  EXPECT_EQ(p5.price_status, PriceStatus::kVerified);
  const Instance trn2 = *c->find("trn2.48xlarge");
  EXPECT_EQ(trn2.peak_bf16_tflops, 667.0);
  EXPECT_FALSE(trn2.on_demand_usd_per_hour) << "unverified prices are left empty";
  EXPECT_EQ(trn2.price_status, PriceStatus::kUnverified);
  EXPECT_TRUE(contains(trn2.price_source, "35.76")) << trn2.price_source;
  const Instance p5e = *c->find("p5e.48xlarge");
  EXPECT_EQ(p5e.price_status, PriceStatus::kMissing);
  const Instance cpu = *c->find("c7a.xlarge");
  EXPECT_EQ(cpu.accelerator_count, 0);
  EXPECT_FALSE(cpu.peak_fp32_tflops);
  EXPECT_FALSE(cpu.on_demand_usd_per_hour);
  EXPECT_EQ(cpu.price_status, PriceStatus::kMissing);
}

TEST(InstanceCatalogTest, ReadsCommentsQuotesBlankCellsAndCrlf) {
  const TempDir dir;
  const std::string path = dir.write(
      "c.csv", std::string("# comment\n\n") + kHeader +
                   "aws,\"x.large\",us-east-1,none,0,,,,,,,,,,,,,,\"a \"\"quoted\"\", source\",,,,missing\r\n" +
                   row("y.large"));
  const Expected<InstanceCatalog> c = read_instance_catalog(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->instances.size(), 2u);
  EXPECT_EQ(c->instances[0].name, "x.large");
  EXPECT_EQ(c->instances[0].specs_source, "a \"quoted\", source");
  EXPECT_FALSE(c->instances[0].vcpus);
  EXPECT_EQ(c->instances[1].specs_source, "NVIDIA H100 datasheet, dense");
  EXPECT_EQ(c->instances[1].vcpus, 192);
}

TEST(InstanceCatalogTest, ColumnsMayBeReorderedAndOptionalOnesLeftOut) {
  const TempDir dir;
  const std::string path = dir.write("c.csv",
                                     "instance,provider,price_status,region,accelerator,accelerator_count,"
                                     "on_demand_usd_per_hour,price_date\n"
                                     "z.large,aws,verified,us-east-1,none,0,0.5,2026-01-31\n");
  const Expected<InstanceCatalog> c = read_instance_catalog(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->instances.at(0).on_demand_usd_per_hour, 0.5);
  EXPECT_FALSE(c->instances.at(0).peak_bf16_tflops);
}

TEST(InstanceCatalogTest, MissingFileIsAnIoError) {
  const TempDir dir;
  const Expected<InstanceCatalog> c = read_instance_catalog(dir.file("absent.csv"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kIo);
  EXPECT_TRUE(contains(c.error().message, "absent.csv")) << c.error().message;
}

TEST(InstanceCatalogTest, RejectsUnknownColumn) {
  std::string header = kHeader;
  header.replace(header.find("vcpus"), 5, "vcpu");
  expect_bad("# c\n" + header, 2, {"unknown column 'vcpu'"});
}

TEST(InstanceCatalogTest, RejectsMissingRequiredColumn) {
  expect_bad("provider,instance,region,accelerator,accelerator_count,price_status\n", 1,
             {"missing required column 'on_demand_usd_per_hour'"});
}

TEST(InstanceCatalogTest, RejectsDuplicateColumn) {
  expect_bad(std::string(kHeader).insert(0, "vcpus,"), 1, {"column 'vcpus' appears twice"});
}

TEST(InstanceCatalogTest, RejectsWrongFieldCount) {
  expect_bad(std::string(kHeader) + "aws,a.large,us-east-1\n", 2, {"3 fields", "expected 23"});
}

TEST(InstanceCatalogTest, RejectsMalformedNumber) {
  expect_bad(std::string(kHeader) + row("a.large") + row("b.large", "12,5"), 3, {"fields"});
  expect_bad(std::string(kHeader) + row("a.large") + row("b.large", "12.5x"), 3,
             {"on_demand_usd_per_hour '12.5x' is not a number"});
  expect_bad(std::string(kHeader) + row("b.large", "nan"), 2, {"'nan' is not a number"});
}

TEST(InstanceCatalogTest, RejectsNegativeNumberAndPrice) {
  expect_bad(std::string(kHeader) + row("b.large", "-1"), 2, {"on_demand_usd_per_hour -1 is negative"});
  std::string r = row("c.large");
  r.replace(r.find(",989,"), 5, ",-989,");
  expect_bad(std::string(kHeader) + r, 2, {"peak_bf16_tflops -989 is negative"});
}

TEST(InstanceCatalogTest, RejectsFractionalCount) {
  std::string r = row("c.large");
  r.replace(r.find(",8,"), 3, ",8.5,");
  expect_bad(std::string(kHeader) + r, 2, {"accelerator_count '8.5' is not a whole number"});
}

TEST(InstanceCatalogTest, RejectsDuplicateInstance) {
  expect_bad(std::string(kHeader) + row("a.large") + "# between\n" + row("a.large"), 4,
             {"duplicate instance 'a.large'", "already on line 2"});
}

TEST(InstanceCatalogTest, RejectsBadDates) {
  for (const char* date : {"2026-13-01", "2026-02-29", "26-11-01", "2026/11/01", "2026-11-1"}) {
    expect_bad(std::string(kHeader) + row("a.large", "1", date), 2, {"price_date", std::string("'") + date + "'", "YYYY-MM-DD"});
  }
  const TempDir dir;
  EXPECT_TRUE(read_instance_catalog(dir.write("leap.csv", std::string(kHeader) + row("a.large", "1", "2024-02-29"))).ok());
}

TEST(InstanceCatalogTest, RejectsBadPriceStatus) {
  expect_bad(std::string(kHeader) + row("a.large", "1", "2026-11-01", "checked"), 2,
             {"price_status 'checked'", "verified, unverified or missing"});
  expect_bad(std::string(kHeader) + row("a.large", "", "", "verified"), 2, {"verified but no on_demand_usd_per_hour"});
  expect_bad(std::string(kHeader) + row("a.large", "3", "2026-11-01", "missing"), 2, {"price_status missing but"});
  expect_bad(std::string(kHeader) + row("a.large", "3", "", "unverified"), 2, {"a price but no price_date"});
}

TEST(InstanceCatalogTest, RejectsUnterminatedQuote) {
  expect_bad(std::string(kHeader) + "aws,\"a.large,us-east-1\n", 2, {"unterminated quoted field"});
}

TEST(InstanceCatalogTest, StalePricesNameInstanceAndDate) {
  const TempDir dir;
  const std::string path = dir.write("c.csv", std::string(kHeader) + row("old.large", "1", "2026-06-01") +
                                                  row("new.large", "1", "2026-11-20") +
                                                  row("none.large", "", "", "missing"));
  const Expected<InstanceCatalog> c = read_instance_catalog(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  const std::vector<std::string> w = stale_prices(*c, Date{2026, 11, 26}, 90);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_TRUE(contains(w[0], "old.large")) << w[0];
  EXPECT_TRUE(contains(w[0], "2026-06-01")) << w[0];
  EXPECT_TRUE(contains(w[0], "178 days")) << w[0];
  EXPECT_EQ(stale_prices(*c, Date{2026, 11, 26}, 178).size(), 0u);
  EXPECT_EQ(stale_prices(*c, Date{2026, 11, 26}, 5).size(), 2u);
}

TEST(InstanceCatalogTest, UnknownInstanceSuggestsNearestNames) {
  const Expected<InstanceCatalog> c = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Expected<Instance> miss = c->find("p5.48xlarg");
  ASSERT_FALSE(miss.ok());
  EXPECT_EQ(miss.error().code, ErrorCode::kBadInput);
  EXPECT_TRUE(contains(miss.error().message, "unknown instance 'p5.48xlarg'")) << miss.error().message;
  EXPECT_TRUE(contains(miss.error().message, "did you mean 'p5.48xlarge'")) << miss.error().message;
  const Expected<Instance> far = c->find("completely-different-name-here");
  ASSERT_FALSE(far.ok());
  EXPECT_FALSE(contains(far.error().message, "did you mean")) << far.error().message;
}

TEST(InstanceCatalogTest, DatesAndEditDistance) {
  EXPECT_EQ(days_since_epoch(Date{1970, 1, 1}), 0);
  EXPECT_EQ(days_since_epoch(Date{2026, 11, 26}) - days_since_epoch(Date{2026, 6, 1}), 178);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);  // common/suggest.h
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_FALSE(parse_date("2026-00-10").ok());
  const Date d = today_utc();
  EXPECT_GE(d.year, 2024);
}

}  // namespace
}  // namespace tb
