#include "cost/cost_table.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <system_error>
#include <utility>

#include "common/echo.h"
#include "common/suggest.h"

namespace tb {
namespace {

constexpr double kMaxTokenCount = 1e18;       // tokens; parse_token_count's upper bound
constexpr const char* kGivenSource = "command line (--price)";
constexpr const char* kNoPriceNote = "no price: give --price USD/h or choose another --pricing";

// ---- parsing ----

// The multiplier of a token count's suffix; 0 when `c` is none.
double suffix_multiplier(char c) {
  switch (c) {
    case 'K': case 'k': return 1e3;
    case 'M': case 'm': return 1e6;
    case 'B': case 'b': return 1e9;
    case 'T': case 't': return 1e12;
    default: return 0.0;
  }
}

Error bad_token_count(std::string_view text, const std::string& why) {
  return bad_input("token count '" + echo_value(text) + "' " + why +
                   "; expected a number > 0 with an optional suffix K, M, B or T (e.g. 1T, 300B, 2.5M, 4096, 1e12)");
}

}  // namespace

std::string_view pricing_name(PricingModel model) {
  switch (model) {
    case PricingModel::kOnDemand: return "on-demand";
    case PricingModel::kSpot: return "spot";
    case PricingModel::kCapacityBlock: return "capacity-block";
  }
  return "on-demand";
}

Expected<PricingModel> parse_pricing(std::string_view text) {
  const PricingModel models[] = {PricingModel::kOnDemand, PricingModel::kSpot, PricingModel::kCapacityBlock};
  std::vector<std::string> names;
  for (PricingModel m : models) {
    if (text == pricing_name(m)) return m;
    names.emplace_back(pricing_name(m));
  }
  return bad_input("unknown pricing model '" + echo_value(text) + "': expected " + quoted_alternatives(names));
}

PriceChoice choose_price(const Instance& instance, PricingModel model) {
  PriceChoice c;
  c.pricing = std::string(pricing_name(model));
  switch (model) {
    case PricingModel::kOnDemand: c.usd_per_hour = instance.on_demand_usd_per_hour; break;
    case PricingModel::kSpot: c.usd_per_hour = instance.spot_usd_per_hour; break;
    case PricingModel::kCapacityBlock: c.usd_per_hour = instance.capacity_block_usd_per_hour; break;
  }
  // The source is kept without a price: for unverified prices it names the candidate figures.
  c.source = instance.price_source;
  c.status = to_string(instance.price_status);
  if (c.usd_per_hour) {
    c.date = instance.price_date;
  } else if (model != PricingModel::kOnDemand) {
    c.status = to_string(PriceStatus::kMissing);  // price_status describes the on-demand price
  }
  return c;
}

PriceChoice price_for(const Instance& instance, PricingModel model, const std::map<std::string, PriceChoice>& overrides) {
  const auto given = overrides.find(instance.name);
  return given != overrides.end() ? given->second : choose_price(instance, model);
}

Expected<PriceChoice> given_price(double usd_per_hour) {
  if (!(std::isfinite(usd_per_hour) && usd_per_hour > 0.0)) {
    return bad_input("--price " + std::to_string(usd_per_hour) + " is not a price: expected USD per instance-hour > 0");
  }
  const Date today = today_utc();
  char date[16];
  std::snprintf(date, sizeof date, "%04d-%02d-%02d", today.year, today.month, today.day);
  PriceChoice c;
  c.usd_per_hour = usd_per_hour;
  c.pricing = "--price";
  c.source = kGivenSource;
  c.date = date;
  c.status = "given";
  return c;
}

Expected<double> parse_token_count(std::string_view text) {
  if (text.empty()) return bad_token_count(text, "is empty");
  double multiplier = suffix_multiplier(text.back());
  std::string_view number = text;
  if (multiplier > 0.0) {
    number.remove_suffix(1);
  } else {
    multiplier = 1.0;
  }
  double value = 0.0;
  const char* end = number.data() + number.size();
  const auto [ptr, ec] = std::from_chars(number.data(), end, value);
  if (number.empty() || ec != std::errc() || ptr != end) return bad_token_count(text, "is not a number");
  const double count = value * multiplier;
  if (!std::isfinite(count) || !(count > 0.0)) return bad_token_count(text, "is not a finite number > 0");
  if (count > kMaxTokenCount) return bad_token_count(text, "is more than 1e18 tokens");
  return count;
}

Expected<CostRow> make_cost_row(std::string label, std::string provenance, std::string settings,
                                const StepFigures& step, const PriceChoice& price, double train_tokens) {
  if (provenance != "measured" && provenance != "projected") {
    return bad_input("provenance '" + provenance + "' of '" + label + "': expected 'measured' or 'projected'");
  }
  if (price.usd_per_hour && !(std::isfinite(*price.usd_per_hour) && *price.usd_per_hour > 0.0)) {
    return bad_input("price (USD/h) = " + std::to_string(*price.usd_per_hour) + " for '" + label +
                     "' is not a positive number");
  }
  if (!(std::isfinite(train_tokens) && train_tokens >= 0.0)) {
    return bad_input("token budget = " + std::to_string(train_tokens) + " is not a number >= 0 (0: none)");
  }
  CostRow row;
  row.label = std::move(label);
  row.provenance = std::move(provenance);
  row.settings = std::move(settings);
  row.devices = step.devices_per_instance;
  row.step_time_s = step.step_time_s;
  row.step = step;
  row.step.usd_per_hour = price.usd_per_hour.value_or(0.0);
  row.price = price;
  TB_ASSIGN_OR_RETURN(row.figures, cost_figures(row.step));
  if (price.usd_per_hour && train_tokens > 0.0) {
    TB_ASSIGN_OR_RETURN(row.budget, training_budget(row.figures, *price.usd_per_hour, train_tokens));
  }
  if (price.status == "unverified") {
    row.notes.push_back(price.source.empty() ? "price unverified (no source named)" : "price unverified: " + price.source);
  }
  if (!price.usd_per_hour) row.notes.push_back(kNoPriceNote);
  return row;
}

void sort_cost_rows(std::vector<CostRow>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const CostRow& a, const CostRow& b) {
    if (a.priced() != b.priced()) return a.priced();
    if (a.priced()) return a.figures.usd_per_million_tokens < b.figures.usd_per_million_tokens;
    return a.figures.tokens_per_s_instance > b.figures.tokens_per_s_instance;
  });
}

}  // namespace tb
