// trainbench pricing import: on-demand prices from a provider's price file
// into the instance catalog (src/cost/price_import.h, docs/catalog.md).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <vector>

#include "catalog/instance_catalog.h"
#include "catalog/price_import.h"
#include "cli/commands.h"
#include "common/atomic_file.h"
#include "common/echo.h"
#include "common/plain_table.h"

namespace tb::cli {
namespace {

std::string date_text(const Date& d) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buffer;
}

std::string price_text(const std::optional<double>& value) { return value ? format_price(*value) : std::string("-"); }

// Imports, writes the catalog and fills `report` (stdout) and `warning` (stderr, may stay empty).
Expected<std::string> import_prices(const PricingImportArgs& args, std::string& report, std::string& warning) {
  PriceFileFormat format = PriceFileFormat::kAws;
  if (args.format.empty()) {
    TB_ASSIGN_OR_RETURN(format, price_file_format_of(args.file));
  } else {
    TB_ASSIGN_OR_RETURN(format, parse_price_file_format(args.format));
  }
  std::string date = date_text(today_utc());
  if (!args.date.empty()) {
    if (format == PriceFileFormat::kAws) {
      return bad_input("--date " + echo_value(args.date) +
                       " applies to --format skypilot only: an AWS offer file carries its own publicationDate");
    }
    const Expected<Date> d = parse_date(args.date);
    if (!d) return bad_input("--date " + d.error().message);
    date = args.date;
  }
  const std::string catalog_path = args.catalog.empty() ? default_instance_catalog_path() : args.catalog;
  const std::string out_path = args.out.empty() ? catalog_path : args.out;

  TB_ASSIGN_OR_RETURN(const std::string original, read_file(catalog_path, kMaxReadBytes, "instance catalog"));
  TB_ASSIGN_OR_RETURN(InstanceCatalog catalog, read_instance_catalog(catalog_path));
  TB_ASSIGN_OR_RETURN(const std::vector<PriceUpdate> updates, read_price_file(args.file, format, date));
  TB_ASSIGN_OR_RETURN(const PriceImport result, apply_price_updates(catalog, updates, args.force));
  std::vector<std::string> changed;
  for (const PriceChange& c : result.updated) changed.push_back(c.instance);
  TB_ASSIGN_OR_RETURN(const std::string text, render_catalog_with_prices(original, catalog, changed));
  TB_RETURN_IF_ERROR(write_file_atomically(out_path, text));

  const bool any_spot = std::any_of(result.updated.begin(), result.updated.end(), [](const PriceChange& c) {
    return c.new_spot_usd_per_hour != c.old_spot_usd_per_hour;
  });
  std::vector<std::vector<std::string>> rows = {{"instance", "old_on_demand", "new_on_demand", "price_date"},
                                                {"", "(USD/h)", "(USD/h)", ""}};
  std::vector<bool> numeric = {false, true, true, false};
  if (any_spot) {
    rows[0].insert(rows[0].begin() + 3, "new_spot");
    rows[1].insert(rows[1].begin() + 3, "(USD/h)");
    numeric.insert(numeric.begin() + 3, true);
  }
  for (const PriceChange& c : result.updated) {
    std::vector<std::string> row = {c.instance, price_text(c.old_usd_per_hour), format_price(c.new_usd_per_hour),
                                    c.date};
    if (any_spot) row.insert(row.begin() + 3, price_text(c.new_spot_usd_per_hour));
    rows.push_back(std::move(row));
  }
  report = render_rows(rows, numeric);
  report += "updated " + std::to_string(result.updated.size()) + " of " + std::to_string(catalog.instances.size()) +
            " instances from " + args.file + "; wrote " + out_path + "\n";
  if (!result.no_price.empty()) {
    report += "no price in " + args.file + " for:";
    for (const std::string& name : result.no_price) report += " " + name;
    report += "\n";
  }
  if (result.updated.empty()) {
    warning = "no instance of " + catalog_path + " has a price in " + args.file + " (" +
              std::to_string(updates.size()) + " prices read): check the file's region and format";
  }
  return out_path;
}

}  // namespace

int pricing_import_command(const PricingImportArgs& args) {
  std::string report, warning;
  const Expected<std::string> written = import_prices(args, report, warning);
  if (!written) return report_error(written.error());
  std::cout << report;
  if (!warning.empty()) report_warning(warning);
  return 0;
}

}  // namespace tb::cli
