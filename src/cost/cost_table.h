// The comparison procurement reads: one row per instance (or this machine),
// each with its provenance (measured or projected), tokens/s, MFU, price,
// USD per 1M tokens, USD per PFLOP-hour, and the time and cost to train a
// token budget, with the price's source and date. Sorted by USD per 1M
// tokens, unpriced rows last. report/cost_report.h renders it as a text table
// with a units row, CSV and JSON (docs/cost.md, "Cost table").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/instance_catalog.h"
#include "common/error.h"
#include "cost/cost.h"
#include "cost/stated_error.h"

namespace tb {

enum class PricingModel { kOnDemand, kSpot, kCapacityBlock };
std::string_view pricing_name(PricingModel model);  // "on-demand", "spot", "capacity-block"
// kBadInput naming the text and the accepted names otherwise.
Expected<PricingModel> parse_pricing(std::string_view text);

// An instance's price under a pricing model, with provenance.
struct PriceChoice {
  std::optional<double> usd_per_hour;  // per instance (USD/h); empty when the catalog has none
  std::string pricing;                 // "on-demand", "spot", "capacity-block", or "--price"
  std::string source;                  // the catalog's price_source, or "command line (--price)"
  std::string date;                    // YYYY-MM-DD; empty when there is no price
  std::string status;                  // the catalog's price_status ("verified", "unverified", "missing"), "given" for --price
};
PriceChoice choose_price(const Instance& instance, PricingModel model);
// The price given for the instance on the command line (`overrides`, by name), else choose_price.
PriceChoice price_for(const Instance& instance, PricingModel model, const std::map<std::string, PriceChoice>& overrides);
// A price given on the command line (USD/h, finite and > 0; kBadInput naming the value otherwise).
Expected<PriceChoice> given_price(double usd_per_hour);

// A token count with an optional SI suffix: "1T" = 1e12, "300B" = 3e11,
// "2.5M", "10K", "4096", "1e12". kBadInput naming the text unless it is a
// finite number > 0 and <= 1e18.
Expected<double> parse_token_count(std::string_view text);

struct CostRow {
  std::string label;        // instance name, or "this machine (<cpu model>)"
  std::string provenance;   // "measured" | "projected"
  std::string settings;     // the run settings the row assumes, e.g. "tp=1 dp=8"
  int devices = 1;          // devices per instance working on the step
  double step_time_s = 0;   // one device's step (s)
  StepFigures step;         // the inputs (usd_per_hour 0 when unpriced)
  CostFigures figures;      // tokens/s, MFU; the USD figures are meaningful only when `price` has a value
  PriceChoice price;
  std::optional<TrainingBudget> budget;  // when priced and a token budget is given
  double projection_error = 0;           // measured row: this machine projected vs measured step, (p - m) / m; 0 otherwise
  StatedError stated_error;              // projected rows: their device class's (empty device_class: measured)
  std::vector<std::string> notes;        // e.g. "price unverified", "does not fit in memory: ..."

  bool priced() const { return price.usd_per_hour.has_value(); }
};

// Computes figures (and the budget for `train_tokens` > 0) from `step` and
// `price`; a row without a price keeps its tokens/s and MFU. Bad input as cost_figures().
Expected<CostRow> make_cost_row(std::string label, std::string provenance, std::string settings,
                                const StepFigures& step, const PriceChoice& price, double train_tokens);

// Ascending USD per 1M tokens; unpriced rows last (by tokens/s, descending); stable.
void sort_cost_rows(std::vector<CostRow>& rows);

}  // namespace tb
