// The cost table: rows computed by hand (the figures of cost_test.cpp's
// p4d-like case), price choice per pricing model, sorting, and the text, CSV
// and JSON renderings (docs/cost.md, "Cost table").
#include "cost/cost_table.h"
#include "cost_fixtures.h"
#include "report/cost_report.h"

#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace tb {
namespace {

constexpr double kRelative = 1e-9;
constexpr const char* kNoPrice = "no price: give --price USD/h or choose another --pricing";

// Unpriced (tests/unit/cost_fixtures.h): 6553.6 tokens/s per instance, MFU 0.12650338461538463.
StepFigures p4d_step() { return tbtest::p4d_like_step(0.0); }

Instance catalog_instance() {
  Instance i;
  i.provider = "aws";
  i.name = "p5.48xlarge";
  i.region = "us-east-1";
  i.accelerator = "H100-SXM";
  i.accelerator_count = 8;
  i.on_demand_usd_per_hour = 55.04;
  i.spot_usd_per_hour = 30.5;
  i.capacity_block_usd_per_hour = 31.464;
  i.price_source = "AWS price page, \"EC2 On-Demand\"";
  i.price_date = "2026-11-01";
  i.price_status = PriceStatus::kVerified;
  return i;
}

PriceChoice given(double usd_per_hour) {
  Expected<PriceChoice> p = given_price(usd_per_hour);
  EXPECT_TRUE(p.ok());
  return *p;
}

CostRow row_or_die(const std::string& label, const std::string& provenance, const PriceChoice& price,
                   double train_tokens) {
  Expected<CostRow> r = make_cost_row(label, provenance, "tp=1 dp=8", p4d_step(), price, train_tokens);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return *r;
}

PriceChoice no_price() {
  Instance i = catalog_instance();
  i.on_demand_usd_per_hour.reset();
  i.price_date.clear();
  i.price_source.clear();
  i.price_status = PriceStatus::kMissing;
  return choose_price(i, PricingModel::kOnDemand);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// ---- rows ----

TEST(CostTableTest, HandComputedRowWithGivenPriceAndBudget) {
  const CostRow r = row_or_die("p4d.24xlarge", "projected", given(21.957642), 1e12);
  EXPECT_EQ(r.devices, 8);
  EXPECT_EQ(r.step_time_s, 5.0);
  EXPECT_EQ(r.step.usd_per_hour, 21.957642);
  EXPECT_NEAR(r.figures.tokens_per_s_instance, 6553.6, 6553.6 * kRelative);
  // 21.957642 / 3600 / 6553.6 x 1e6
  EXPECT_NEAR(r.figures.usd_per_million_tokens, 0.9306861877441406, 0.9306861877441406 * kRelative);
  EXPECT_NEAR(r.figures.usd_per_pflop_hour, 69.5406865064115, 69.5406865064115 * kRelative);
  ASSERT_TRUE(r.budget.has_value());
  // 1e12 / 6553.6 / 3600 h; x 21.957642 USD/h
  EXPECT_NEAR(r.budget->hours, 42385.52517361111, 42385.52517361111 * kRelative);
  EXPECT_NEAR(r.budget->usd, 930686.1877441406, 930686.1877441406 * kRelative);
  EXPECT_EQ(r.price.pricing, "--price");
  EXPECT_EQ(r.price.source, "command line (--price)");
  EXPECT_EQ(r.price.status, "given");
  EXPECT_TRUE(r.notes.empty());
}

TEST(CostTableTest, NoBudgetWithoutTrainTokens) {
  const CostRow r = row_or_die("p4d.24xlarge", "measured", given(21.957642), 0.0);
  EXPECT_FALSE(r.budget.has_value());
  EXPECT_NEAR(r.figures.usd_per_million_tokens, 0.9306861877441406, 0.9306861877441406 * kRelative);
}

TEST(CostTableTest, UnpricedRowKeepsTokensPerSecondAndMfuAndSaysHowToPriceIt) {
  const CostRow r = row_or_die("c7a.48xlarge", "projected", no_price(), 1e12);
  EXPECT_FALSE(r.price.usd_per_hour.has_value());
  EXPECT_EQ(r.step.usd_per_hour, 0.0);
  EXPECT_NEAR(r.figures.tokens_per_s_instance, 6553.6, 6553.6 * kRelative);
  EXPECT_NEAR(r.figures.mfu, 0.12650338461538463, 0.12650338461538463 * kRelative);
  EXPECT_EQ(r.figures.usd_per_million_tokens, 0.0);
  EXPECT_FALSE(r.budget.has_value());
  EXPECT_EQ(r.notes, std::vector<std::string>{kNoPrice});
}

TEST(CostTableTest, UnverifiedPriceGetsANoteNamingTheSource) {
  Instance i = catalog_instance();
  i.price_status = PriceStatus::kUnverified;
  i.price_source = "sources say 35.76 and 38.43";
  const CostRow r = row_or_die("trn2.48xlarge", "projected", choose_price(i, PricingModel::kOnDemand), 0.0);
  EXPECT_EQ(r.notes, std::vector<std::string>{"price unverified: sources say 35.76 and 38.43"});

  i.on_demand_usd_per_hour.reset();  // as the shipped catalog: unverified and empty
  i.price_date.clear();
  const CostRow unpriced = row_or_die("trn2.48xlarge", "projected", choose_price(i, PricingModel::kOnDemand), 0.0);
  EXPECT_EQ(unpriced.notes, (std::vector<std::string>{"price unverified: sources say 35.76 and 38.43", kNoPrice}));
}

TEST(CostTableTest, BadRowInputIsBadInputNamingTheValue) {
  Expected<CostRow> r = make_cost_row("x", "guessed", "", p4d_step(), given(1.0), 0.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
  EXPECT_NE(r.error().message.find("'guessed'"), std::string::npos) << r.error().message;

  StepFigures s = p4d_step();
  s.step_time_s = 0.0;
  r = make_cost_row("x", "measured", "", s, given(1.0), 0.0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("step time"), std::string::npos) << r.error().message;

  PriceChoice zero = given(1.0);
  zero.usd_per_hour = 0.0;
  r = make_cost_row("x", "measured", "", p4d_step(), zero, 0.0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("price"), std::string::npos) << r.error().message;

  r = make_cost_row("x", "measured", "", p4d_step(), given(1.0), -1.0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("token budget"), std::string::npos) << r.error().message;
}

// ---- prices ----

TEST(CostTableTest, ChoosePricePicksTheModelsColumnWithTheCatalogsProvenance) {
  const Instance i = catalog_instance();
  const PriceChoice od = choose_price(i, PricingModel::kOnDemand);
  ASSERT_TRUE(od.usd_per_hour.has_value());
  EXPECT_EQ(*od.usd_per_hour, 55.04);
  EXPECT_EQ(od.pricing, "on-demand");

  const PriceChoice spot = choose_price(i, PricingModel::kSpot);
  ASSERT_TRUE(spot.usd_per_hour.has_value());
  EXPECT_EQ(*spot.usd_per_hour, 30.5);
  EXPECT_EQ(spot.pricing, "spot");
  EXPECT_EQ(spot.source, "AWS price page, \"EC2 On-Demand\"");
  EXPECT_EQ(spot.date, "2026-11-01");
  EXPECT_EQ(spot.status, "verified");

  const PriceChoice block = choose_price(i, PricingModel::kCapacityBlock);
  ASSERT_TRUE(block.usd_per_hour.has_value());
  EXPECT_EQ(*block.usd_per_hour, 31.464);
  EXPECT_EQ(block.pricing, "capacity-block");
  EXPECT_EQ(block.date, "2026-11-01");
}

TEST(CostTableTest, EmptyCatalogCellIsNoPrice) {
  Instance i = catalog_instance();
  i.spot_usd_per_hour.reset();
  const PriceChoice spot = choose_price(i, PricingModel::kSpot);
  EXPECT_FALSE(spot.usd_per_hour.has_value());
  EXPECT_EQ(spot.pricing, "spot");
  EXPECT_EQ(spot.date, "");
  EXPECT_EQ(spot.status, "missing");
}

TEST(CostTableTest, GivenPriceIsDatedTodayAndRejectsNonPositive) {
  const PriceChoice p = given(12.5);
  EXPECT_EQ(*p.usd_per_hour, 12.5);
  EXPECT_TRUE(parse_date(p.date).ok()) << p.date;
  for (double bad : {0.0, -3.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    const Expected<PriceChoice> r = given_price(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().message.find("--price"), std::string::npos) << r.error().message;
  }
}

TEST(CostTableTest, ParsePricingAcceptsTheThreeNames) {
  EXPECT_EQ(*parse_pricing("on-demand"), PricingModel::kOnDemand);
  EXPECT_EQ(*parse_pricing("spot"), PricingModel::kSpot);
  EXPECT_EQ(*parse_pricing("capacity-block"), PricingModel::kCapacityBlock);
  for (PricingModel m : {PricingModel::kOnDemand, PricingModel::kSpot, PricingModel::kCapacityBlock}) {
    EXPECT_EQ(*parse_pricing(pricing_name(m)), m);
  }
  for (const char* bad : {"reserved", "Spot", "", "ondemand"}) {
    const Expected<PricingModel> r = parse_pricing(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().message.find("'" + std::string(bad) + "'"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("'on-demand', 'spot' or 'capacity-block'"), std::string::npos)
        << r.error().message;
  }
}

TEST(CostTableTest, ParseTokenCountReadsSuffixes) {
  const std::pair<const char*, double> good[] = {
      {"1T", 1e12}, {"300B", 3e11}, {"2.5M", 2.5e6}, {"10K", 1e4}, {"4096", 4096.0}, {"1e12", 1e12},
      {"15t", 15e12}, {"8b", 8e9}, {"3m", 3e6}, {"2k", 2e3}, {"1e6K", 1e9}, {"1000000T", 1e18},
  };
  for (const auto& [text, expected] : good) {
    const Expected<double> r = parse_token_count(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.error().message;
    EXPECT_NEAR(*r, expected, expected * 1e-15) << text;
  }
}

TEST(CostTableTest, ParseTokenCountRejectsJunkNamingTheText) {
  for (const char* bad : {"0", "0T", "-1T", "-5", "nan", "inf", "1X", "", "T", "1TT", " 1T", "1T ", "1e19",
                          "2000000T", "0x10", "1,000"}) {
    const Expected<double> r = parse_token_count(bad);
    ASSERT_FALSE(r.ok()) << "'" << bad << "' parsed as " << *r;
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().message.find("'" + std::string(bad) + "'"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("expected"), std::string::npos) << r.error().message;
  }
}

// ---- sorting ----

CostRow sort_row(const std::string& label, std::optional<double> usd_per_million, double tokens_per_s) {
  CostRow r;
  r.label = label;
  r.price.usd_per_hour = usd_per_million ? std::optional<double>(1.0) : std::nullopt;
  r.figures.usd_per_million_tokens = usd_per_million.value_or(0.0);
  r.figures.tokens_per_s_instance = tokens_per_s;
  return r;
}

TEST(CostTableTest, SortsPricedAscendingThenUnpricedByTokensPerSecondStably) {
  std::vector<CostRow> rows = {
      sort_row("a", 2.0, 10.0),         sort_row("b", std::nullopt, 100.0), sort_row("c", 1.0, 5.0),
      sort_row("d", std::nullopt, 200.0), sort_row("e", 1.0, 50.0),        sort_row("f", std::nullopt, 100.0),
  };
  sort_cost_rows(rows);
  std::vector<std::string> order;
  for (const CostRow& r : rows) order.push_back(r.label);
  EXPECT_EQ(order, (std::vector<std::string>{"c", "e", "a", "d", "b", "f"}));
}

// ---- text table ----

std::vector<CostRow> table_rows(double train_tokens) {
  return {row_or_die("p4d.24xlarge", "projected", given(21.957642), train_tokens),
          row_or_die("this machine (AMD EPYC)", "measured", no_price(), train_tokens)};
}

TEST(CostTableTest, TableHasTitleHeaderUnitsRowAndProvenanceInEveryRow) {
  const std::string table = render_cost_table(table_rows(1e12), 1e12);
  const std::vector<std::string> lines = lines_of(table);
  ASSERT_EQ(lines.size(), 6u) << table;  // title, header, units, 2 rows, 1 footnote
  EXPECT_EQ(lines[0], "time and cost to train 1e12 tokens");
  EXPECT_EQ(lines[1].rfind("instance", 0), 0u) << lines[1];
  for (const char* column : {"provenance", "settings", "tokens/s", "MFU", "price", "pricing", "USD/1M tok",
                             "USD/PFLOP-h", "train days", "train USD", "price source", "price date"}) {
    EXPECT_NE(lines[1].find(column), std::string::npos) << column;
  }
  EXPECT_EQ(words_of(lines[2]),
            (std::vector<std::string>{"tokens/s", "%", "+/-%", "(runs)", "USD/h", "USD", "USD", "days", "USD",
                                      "YYYY-MM-DD"}));
  // p4d: 6553.6 tokens/s, MFU 12.65 %, 21.96 USD/h, 0.9307 USD/1M, 69.54 USD/PFLOP-h,
  // 42385.5 h = 1766 days, 930686 USD.
  const std::vector<std::string> priced = words_of(lines[3]);
  // Stated error "-": these rows were built without a device class.
  const std::vector<std::string> expected_priced = {"p4d.24xlarge", "projected", "tp=1", "dp=8", "6554", "12.7", "-",
                                                    "21.96", "--price", "0.9307", "69.54", "1766", "930686",
                                                    "command", "line", "(--price)"};
  ASSERT_GE(priced.size(), expected_priced.size() + 1) << lines[3];
  EXPECT_EQ(std::vector<std::string>(priced.begin(), priced.begin() + expected_priced.size()), expected_priced);
  EXPECT_TRUE(parse_date(priced.back()).ok()) << lines[3];
  // Unpriced: time known (1766 days), USD unknown.
  EXPECT_EQ(words_of(lines[4]),
            (std::vector<std::string>{"this", "machine", "(AMD", "EPYC)", "[1]", "measured", "tp=1", "dp=8", "6554",
                                      "12.7", "-", "-", "on-demand", "-", "-", "1766", "-", "-", "-"}));
  EXPECT_EQ(lines[5], std::string("[1] ") + kNoPrice);
  for (const std::string& row : {lines[3], lines[4]}) {
    EXPECT_TRUE(row.find("projected") != std::string::npos || row.find("measured") != std::string::npos) << row;
  }
}

TEST(CostTableTest, TableWithoutBudgetHasNoTitleNorTrainColumns) {
  const std::string table = render_cost_table(table_rows(0.0), 0.0);
  const std::vector<std::string> lines = lines_of(table);
  ASSERT_EQ(lines.size(), 5u) << table;
  EXPECT_EQ(lines[0].rfind("instance", 0), 0u) << lines[0];
  EXPECT_EQ(lines[0].find("train"), std::string::npos);
  EXPECT_EQ(words_of(lines[1]),
            (std::vector<std::string>{"tokens/s", "%", "+/-%", "(runs)", "USD/h", "USD", "USD", "YYYY-MM-DD"}));
}

TEST(CostTableTest, IdenticalNotesShareAFootnoteAndLongSourcesAreCut) {
  Instance i = catalog_instance();
  i.price_status = PriceStatus::kUnverified;
  i.price_source = std::string(100, 'x');
  std::vector<CostRow> rows = {row_or_die("a", "projected", choose_price(i, PricingModel::kOnDemand), 0.0),
                               row_or_die("b", "projected", no_price(), 0.0),
                               row_or_die("c", "projected", no_price(), 0.0),
                               row_or_die("d", "projected", no_price(), 0.0)};
  rows[3].notes.push_back("price unverified: " + std::string(100, 'x'));  // notes 2 then 1: marked [1,2]
  const std::string table = render_cost_table(rows, 0.0);
  const std::vector<std::string> lines = lines_of(table);
  ASSERT_EQ(lines.size(), 8u) << table;
  EXPECT_EQ(lines[2].rfind("a [1] ", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3].rfind("b [2] ", 0), 0u) << lines[3];
  EXPECT_EQ(lines[4].rfind("c [2] ", 0), 0u) << lines[4];
  EXPECT_NE(lines[2].find(std::string(57, 'x') + "..."), std::string::npos) << lines[2];
  EXPECT_EQ(lines[2].find(std::string(58, 'x')), std::string::npos) << lines[2];
  EXPECT_EQ(lines[5].rfind("d [1,2] ", 0), 0u) << lines[5];
  EXPECT_EQ(lines[6], "[1] price unverified: " + std::string(100, 'x'));  // in full under the table
  EXPECT_EQ(lines[7], std::string("[2] ") + kNoPrice);
  EXPECT_NE(render_cost_csv(rows, 0.0).find(std::string(100, 'x')), std::string::npos);
}

// ---- CSV ----

const std::vector<std::string> kFields = {
    "instance", "provenance", "settings", "devices_per_instance", "step_time_s", "tokens_per_step",
    "flop_per_token", "peak_flop_per_s", "tokens_per_s_device", "tokens_per_s_instance", "mfu_fraction",
    "usd_per_hour", "pricing", "usd_per_million_tokens", "usd_per_pflop_hour", "train_tokens", "train_hours",
    "train_usd", "price_source", "price_date", "price_status", "projection_error_fraction", "stated_error_fraction", "stated_error_runs",
    "stated_error", "notes"};

TEST(CostTableTest, CsvHeaderCarriesUnitsAndFieldsAreQuoted) {
  const CostRow spot = row_or_die("p5.48xlarge", "projected", choose_price(catalog_instance(), PricingModel::kSpot),
                                  1e12);
  CostRow unpriced = row_or_die("c7a.48xlarge", "measured", no_price(), 1e12);
  unpriced.notes.push_back("does not fit in memory: 90 GiB > 80 GiB");
  const std::vector<std::string> lines = lines_of(render_cost_csv({spot, unpriced}, 1e12));
  ASSERT_EQ(lines.size(), 3u);
  std::string header;
  for (const std::string& f : kFields) header += (header.empty() ? "" : ",") + f;
  EXPECT_EQ(lines[0], header);
  // 30.5 / 3600 / 6553.6 x 1e6 = 1.292758518 USD/1M; 1e12 / 6553.6 / 3600 = 42385.52517361111 h.
  EXPECT_EQ(lines[1],
            "p5.48xlarge,projected,tp=1 dp=8,8,5,4096,4.818e+10,3.12e+14,819.2,6553.6,0.1265033846,30.5,spot,"
            "1.292758518,96.59465886,1e+12,42385.52517,1292758.518,\"AWS price page, \"\"EC2 On-Demand\"\"\","
            "2026-11-01,verified,,,,,");
  EXPECT_EQ(lines[2],
            "c7a.48xlarge,measured,tp=1 dp=8,8,5,4096,4.818e+10,3.12e+14,819.2,6553.6,0.1265033846,,on-demand,"
            ",,1e+12,42385.52517,,,,missing,,,,," + std::string(kNoPrice) +
                "; does not fit in memory: 90 GiB > 80 GiB");
}

TEST(CostTableTest, ProjectedRowsCarryTheStatedErrorOfTheirDeviceClass) {
  CostRow row = row_or_die("p5.48xlarge", "projected", given(55.04), 0.0);
  row.stated_error.device_class = "H100-SXM";
  row.stated_error.mean_abs_error = 0.108;
  row.stated_error.runs = 11;
  CostRow unvalidated = row_or_die("trn2.48xlarge", "projected", given(40.0), 0.0);
  unvalidated.stated_error.device_class = "Trainium2";
  unvalidated.stated_error.reason = "unvalidated: no published run for Trainium2";
  const std::string table = render_cost_table({row, unvalidated}, 0.0);
  EXPECT_NE(table.find("+/-11% (11)"), std::string::npos) << table;
  EXPECT_NE(table.find("unvalidated"), std::string::npos) << table;
  const nlohmann::json j = cost_rows_to_json({row, unvalidated}, 0.0);
  EXPECT_DOUBLE_EQ(j[0]["stated_error_fraction"].get<double>(), 0.108);
  EXPECT_EQ(j[0]["stated_error_runs"], 11);
  EXPECT_NE(j[0]["stated_error"].get<std::string>().find("leave-one-out"), std::string::npos);
  EXPECT_TRUE(j[1]["stated_error_fraction"].is_null());
  EXPECT_EQ(j[1]["stated_error"], "unvalidated: no published run for Trainium2");
}

// ---- JSON ----

TEST(CostTableTest, JsonFieldsCarryUnitsProvenanceAndNullForUnknown) {
  CostRow measured = row_or_die("this machine (x86)", "projected", no_price(), 0.0);
  measured.projection_error = 0.125;
  measured.step.peak_flop_per_s = 0.0;  // as a row whose peak is unknown
  measured.figures.mfu = -1.0;
  const std::vector<CostRow> rows = {row_or_die("p4d.24xlarge", "measured", given(21.957642), 1e12), measured};
  const nlohmann::json j = cost_rows_to_json(rows, 1e12);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  for (const nlohmann::json& o : j) {
    std::set<std::string> keys;
    for (const auto& [k, v] : o.items()) keys.insert(k);
    EXPECT_EQ(keys, std::set<std::string>(kFields.begin(), kFields.end()));
    EXPECT_TRUE(o["provenance"] == "measured" || o["provenance"] == "projected") << o.dump();
  }
  const nlohmann::json& p = j[0];
  EXPECT_EQ(p["provenance"], "measured");
  EXPECT_NEAR(p["usd_per_million_tokens"].get<double>(), 0.9306861877441406, 0.9306861877441406 * kRelative);
  EXPECT_NEAR(p["train_hours"].get<double>(), 42385.52517361111, 42385.52517361111 * kRelative);
  EXPECT_NEAR(p["train_usd"].get<double>(), 930686.1877441406, 930686.1877441406 * kRelative);
  EXPECT_EQ(p["train_tokens"].get<double>(), 1e12);
  EXPECT_EQ(p["usd_per_hour"].get<double>(), 21.957642);
  EXPECT_EQ(p["price_source"], "command line (--price)");
  EXPECT_EQ(p["price_status"], "given");
  EXPECT_TRUE(p["projection_error_fraction"].is_null());
  EXPECT_EQ(p["notes"], nlohmann::json::array());

  const nlohmann::json& u = j[1];
  EXPECT_EQ(u["provenance"], "projected");
  for (const char* null_field :
       {"usd_per_hour", "usd_per_million_tokens", "usd_per_pflop_hour", "train_usd", "mfu_fraction",
        "peak_flop_per_s", "price_source", "price_date"}) {
    EXPECT_TRUE(u[null_field].is_null()) << null_field << ": " << u.dump();
  }
  EXPECT_NEAR(u["train_hours"].get<double>(), 42385.52517361111, 42385.52517361111 * kRelative);
  EXPECT_NEAR(u["tokens_per_s_instance"].get<double>(), 6553.6, 6553.6 * kRelative);
  EXPECT_EQ(u["projection_error_fraction"].get<double>(), 0.125);
  EXPECT_EQ(u["notes"], nlohmann::json::array({kNoPrice}));
}

}  // namespace
}  // namespace tb
