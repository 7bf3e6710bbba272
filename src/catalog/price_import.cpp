#include "catalog/price_import.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "common/atomic_file.h"
#include "common/csv_line.h"
#include "common/echo.h"
#include "common/format.h"

namespace tb {
namespace {

using nlohmann::json;

std::string base_name(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A non-negative decimal ("21.9576420000", "0.5", "3", "1e3"); nullopt otherwise.
std::optional<double> parse_decimal(const std::string& text) {
  std::size_t i = 0, digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value) || value < 0) return std::nullopt;
  return value;
}

// AWS "location" names of the commercial regions, for offer files without regionCode.
const std::map<std::string, std::string>& aws_regions_by_location() {
  static const std::map<std::string, std::string> regions = {
      {"US East (N. Virginia)", "us-east-1"},     {"US East (Ohio)", "us-east-2"},
      {"US West (N. California)", "us-west-1"},   {"US West (Oregon)", "us-west-2"},
      {"Canada (Central)", "ca-central-1"},       {"EU (Frankfurt)", "eu-central-1"},
      {"EU (Ireland)", "eu-west-1"},              {"EU (London)", "eu-west-2"},
      {"EU (Paris)", "eu-west-3"},                {"EU (Stockholm)", "eu-north-1"},
      {"EU (Milan)", "eu-south-1"},               {"EU (Spain)", "eu-south-2"},
      {"Asia Pacific (Tokyo)", "ap-northeast-1"}, {"Asia Pacific (Seoul)", "ap-northeast-2"},
      {"Asia Pacific (Osaka)", "ap-northeast-3"}, {"Asia Pacific (Singapore)", "ap-southeast-1"},
      {"Asia Pacific (Sydney)", "ap-southeast-2"}, {"Asia Pacific (Jakarta)", "ap-southeast-3"},
      {"Asia Pacific (Mumbai)", "ap-south-1"},    {"Asia Pacific (Hyderabad)", "ap-south-2"},
      {"South America (Sao Paulo)", "sa-east-1"}, {"Middle East (Bahrain)", "me-south-1"},
      {"Middle East (UAE)", "me-central-1"},      {"Africa (Cape Town)", "af-south-1"},
      {"AWS GovCloud (US-East)", "us-gov-east-1"}, {"AWS GovCloud (US-West)", "us-gov-west-1"},
  };
  return regions;
}

const json& null_json() {
  static const json null;
  return null;
}

// object[key], or null when absent (no copy).
const json& member(const json& object, const char* key) {
  if (!object.is_object()) return null_json();
  const auto it = object.find(key);
  return it == object.end() ? null_json() : *it;
}

// attributes[key] as a string; empty when absent or not a string.
std::string attribute(const json& attributes, const char* key) {
  const auto it = attributes.find(key);
  return it != attributes.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Expected<PriceFileFormat> parse_price_file_format(const std::string& text) {
  if (text == "aws") return PriceFileFormat::kAws;
  if (text == "skypilot") return PriceFileFormat::kSkyPilot;
  return bad_input("price file format '" + echo_value(text) + "' is not known: expected aws or skypilot");
}

Expected<PriceFileFormat> price_file_format_of(const std::string& path) {
  const auto ends_with = [&](const std::string& suffix) {
    return path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".json")) return PriceFileFormat::kAws;
  if (ends_with(".csv")) return PriceFileFormat::kSkyPilot;
  return bad_input("cannot tell the format of price file '" + path +
                   "' from its name: expected a .json (AWS) or .csv (SkyPilot) file, or --format aws|skypilot");
}

Expected<std::vector<PriceUpdate>> parse_aws_offer(const std::string& text, const std::string& file_name) {
  const json offer = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (offer.is_discarded()) {
    return bad_input(file_name + ": not JSON: expected an AWS Price List offer file (--format aws)");
  }
  if (!offer.is_object() || !offer.contains("products") || !offer["products"].is_object() ||
      !offer.contains("terms") || !offer["terms"].is_object()) {
    return bad_input(file_name +
                     ": not an AWS Price List offer file: expected top-level \"products\" and \"terms\" objects");
  }
  const json& on_demand_terms = member(offer["terms"], "OnDemand");
  if (!on_demand_terms.is_object()) {
    return bad_input(file_name + ": no \"terms\".\"OnDemand\" object: expected an AWS Price List offer file");
  }
  if (!offer.contains("publicationDate") || !offer["publicationDate"].is_string()) {
    return bad_input(file_name + ": no \"publicationDate\": expected an ISO 8601 time such as 2026-11-20T21:32:37Z");
  }
  const std::string publication = offer["publicationDate"].get<std::string>();
  const Expected<Date> published = parse_date(publication.substr(0, 10));
  if (!published || (publication.size() > 10 && publication[10] != 'T')) {
    return bad_input(file_name + ": publicationDate '" + echo_value(publication) +
                     "' is not an ISO 8601 date: expected e.g. 2026-11-20T21:32:37Z");
  }
  const std::string date = publication.substr(0, 10);
  const std::string source = "AWS Price List " + base_name(file_name) + ", published " + date;

  std::vector<PriceUpdate> updates;
  std::map<std::pair<std::string, std::string>, std::pair<std::string, double>> seen;  // (instance, region) -> (SKU, price)
  for (const auto& [sku, product] : offer["products"].items()) {
    if (!product.is_object()) return bad_input(file_name + ": product " + echo_value(sku) + " is not an object");
    if (attribute(product, "productFamily") != "Compute Instance") continue;
    const json& attributes = member(product, "attributes");
    if (!attributes.is_object()) {
      return bad_input(file_name + ": product " + echo_value(sku) + " has no \"attributes\" object");
    }
    if (attribute(attributes, "operatingSystem") != "Linux" || attribute(attributes, "tenancy") != "Shared" ||
        attribute(attributes, "preInstalledSw") != "NA" || attribute(attributes, "capacitystatus") != "Used") {
      continue;
    }
    // Newer files mark Capacity Block products with marketoption "CapacityBlock".
    const std::string market = attribute(attributes, "marketoption");
    if (!market.empty() && market != "OnDemand") continue;
    const std::string instance = attribute(attributes, "instanceType");
    if (instance.empty()) return bad_input(file_name + ": product " + echo_value(sku) + " has no instanceType");
    std::string region = attribute(attributes, "regionCode");
    if (region.empty()) {
      const std::string location = attribute(attributes, "location");
      const auto it = aws_regions_by_location().find(location);
      region = it != aws_regions_by_location().end() ? it->second : location;
    }
    if (region.empty()) return bad_input(file_name + ": product " + echo_value(sku) + " has no regionCode or location");

    const auto terms = on_demand_terms.find(sku);
    if (terms == on_demand_terms.end()) continue;  // not sold on demand
    if (!terms->is_object()) {
      return bad_input(file_name + ": OnDemand terms of SKU " + echo_value(sku) + " are not an object");
    }
    std::optional<double> price;
    for (const auto& [term_code, term] : terms->items()) {
      const json& dimensions = member(term, "priceDimensions");
      if (!dimensions.is_object()) {
        return bad_input(file_name + ": OnDemand term " + echo_value(term_code) + " of SKU " + echo_value(sku) +
                         " has no priceDimensions");
      }
      for (const auto& [rate_code, dimension] : dimensions.items()) {
        const std::string where = file_name + ": SKU " + sku + " (" + instance + ", rate " + rate_code + ")";
        if (!dimension.is_object()) return bad_input(where + ": price dimension is not an object");
        const std::string unit = attribute(dimension, "unit");
        if (unit != "Hrs") return bad_input(where + ": unit '" + echo_value(unit) + "': expected Hrs");
        const json& per_unit = member(dimension, "pricePerUnit");
        if (!per_unit.is_object() || !per_unit.contains("USD") || !per_unit["USD"].is_string()) {
          return bad_input(where + ": no pricePerUnit.USD string: expected e.g. \"21.9576420000\"");
        }
        const std::string usd = per_unit["USD"].get<std::string>();
        const std::optional<double> value = parse_decimal(usd);
        if (!value) return bad_input(where + ": price '" + echo_value(usd) + "' is not a non-negative decimal");
        if (price && *price != *value) {
          return bad_input(where + ": two prices, " + format_price(*price) + " and " + echo_value(usd) +
                           ": expected one on-demand price per SKU");
        }
        price = value;
      }
    }
    if (!price) continue;
    const auto [it, inserted] = seen.emplace(std::pair{instance, region}, std::pair{sku, *price});
    if (!inserted) {
      if (it->second.second != *price) {
        return bad_input(file_name + ": SKUs " + it->second.first + " and " + echo_value(sku) + " give " +
                         echo_value(instance) + " in " + region + " two Linux shared on-demand prices, " +
                         format_price(it->second.second) + " and " + format_price(*price) + ": expected one");
      }
      continue;
    }
    updates.push_back(PriceUpdate{instance, region, *price, std::nullopt, source, date});
  }
  return updates;
}

Expected<std::vector<PriceUpdate>> parse_skypilot_catalog(const std::string& text, const std::string& file_name,
                                                          const std::string& date) {
  const Expected<Date> valid_date = parse_date(date);
  if (!valid_date) return bad_input("price date " + valid_date.error().message);
  const std::string source = "SkyPilot catalog " + base_name(file_name);
  std::vector<PriceUpdate> updates;
  std::map<std::pair<std::string, std::string>, std::size_t> index_of;  // (instance, region) -> updates[i]
  std::vector<std::string> spot_zone;  // per update: the zone its spot price came from
  std::map<std::string, std::size_t> column_of;
  std::size_t header_fields = 0;
  bool have_header = false;
  std::size_t start = 0;
  int line_no = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    const std::string where = file_name + ":" + std::to_string(line_no);
    TB_ASSIGN_OR_RETURN(const std::vector<std::string> fields, split_csv_line(line, where));
    if (!have_header) {
      have_header = true;
      header_fields = fields.size();
      for (std::size_t i = 0; i < fields.size(); ++i) column_of.emplace(fields[i], i);
      for (const char* required : {"InstanceType", "Price", "Region"}) {
        if (!column_of.count(required)) {
          return bad_input(where + ": missing column '" + std::string(required) +
                           "': expected a SkyPilot catalog header (InstanceType, ..., Price, SpotPrice, Region, ...)");
        }
      }
      continue;
    }
    if (fields.size() != header_fields) {
      return bad_input(where + ": " + std::to_string(fields.size()) + " fields: expected " +
                       std::to_string(header_fields) + ", as in the header");
    }
    const auto cell = [&](const char* column) -> std::string {
      const auto it = column_of.find(column);
      return it == column_of.end() ? std::string() : fields[it->second];
    };
    const std::string instance = cell("InstanceType");
    const std::string region = cell("Region");
    if (instance.empty()) return bad_input(where + ": empty InstanceType: expected an instance type");
    const auto price_of = [&](const char* column) -> Expected<std::optional<double>> {
      const std::string t = cell(column);
      if (t.empty()) return std::optional<double>{};
      const std::optional<double> v = parse_decimal(t);
      if (!v) {
        return bad_input(where + ": " + column + " '" + echo_value(t) + "' of " + echo_value(instance) +
                         " is not a non-negative decimal");
      }
      return v;
    };
    TB_ASSIGN_OR_RETURN(const std::optional<double> price, price_of("Price"));
    TB_ASSIGN_OR_RETURN(const std::optional<double> spot, price_of("SpotPrice"));
    if (!price) continue;  // not sold on demand here
    if (region.empty()) {
      return bad_input(where + ": empty Region for " + echo_value(instance) + ": expected e.g. us-east-1");
    }
    const std::string zone = cell("AvailabilityZone");
    const bool regular = zone.empty() || is_regular_zone(zone, region);
    const auto [it, first] = index_of.emplace(std::pair{instance, region}, updates.size());
    if (first) {
      updates.push_back(PriceUpdate{instance, region, *price, std::nullopt, source, date});
      spot_zone.emplace_back();
    }
    PriceUpdate& u = updates[it->second];
    if (spot && regular && (!u.spot_usd_per_hour || *spot < *u.spot_usd_per_hour)) {
      u.spot_usd_per_hour = spot;
      spot_zone[it->second] = zone;
    }
  }
  if (!have_header) return bad_input(file_name + ": empty: expected a SkyPilot catalog CSV with a header line");
  for (std::size_t i = 0; i < updates.size(); ++i) {
    if (updates[i].spot_usd_per_hour && !spot_zone[i].empty()) {
      updates[i].source += " (spot: lowest over " + updates[i].region + "'s regular zones, " + spot_zone[i] + ")";
    }
  }
  return updates;
}

bool is_regular_zone(const std::string& zone, const std::string& region) {
  const bool name = zone.size() == region.size() + 1 && zone.compare(0, region.size(), region) == 0 &&
                    std::islower(static_cast<unsigned char>(zone.back()));
  // A zone ID: letters and digits, "-az", digits ("use1-az1"); a Local Zone's ID has another part ("use1-atl2-az1").
  const std::size_t az = zone.rfind("-az");
  const auto alnum = [](const std::string& t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
  };
  const auto digits = [](const std::string& t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  };
  const bool id = az != std::string::npos && alnum(zone.substr(0, az)) && digits(zone.substr(az + 3));
  return name || id;
}

Expected<std::vector<PriceUpdate>> read_price_file(const std::string& path, PriceFileFormat format,
                                                   const std::string& date) {
  TB_ASSIGN_OR_RETURN(const std::string text, read_file(path, kMaxPriceFileBytes, "price file"));
  if (format == PriceFileFormat::kAws) return parse_aws_offer(text, path);
  return parse_skypilot_catalog(text, path, date);
}

Expected<PriceImport> apply_price_updates(InstanceCatalog& catalog, const std::vector<PriceUpdate>& updates,
                                          bool replace_newer) {
  std::map<std::pair<std::string, std::string>, const PriceUpdate*> by_key;
  for (const PriceUpdate& u : updates) by_key.emplace(std::pair{u.instance, u.region}, &u);
  // Checked before anything changes: an older file must not replace a newer price.
  for (const Instance& inst : catalog.instances) {
    const auto it = by_key.find({inst.name, inst.region});
    if (replace_newer || it == by_key.end() || inst.price_date.empty()) continue;
    if (inst.price_date > it->second->date) {  // YYYY-MM-DD compares as text
      return bad_input(inst.name + " has a price dated " + inst.price_date + " (" + inst.price_source +
                       "), newer than the file's " + it->second->date + " (" + it->second->source +
                       "): the older price is not imported; pass --force to replace it anyway");
    }
  }
  PriceImport result;
  for (Instance& inst : catalog.instances) {
    const auto it = by_key.find({inst.name, inst.region});
    if (it == by_key.end()) {
      result.no_price.push_back(inst.name);
      continue;
    }
    const PriceUpdate& u = *it->second;
    PriceChange change{inst.name, inst.on_demand_usd_per_hour, u.usd_per_hour, inst.spot_usd_per_hour,
                       inst.spot_usd_per_hour, u.date};
    inst.on_demand_usd_per_hour = u.usd_per_hour;
    if (u.spot_usd_per_hour) {
      inst.spot_usd_per_hour = u.spot_usd_per_hour;
      change.new_spot_usd_per_hour = u.spot_usd_per_hour;
    }
    inst.price_source = u.source;
    inst.price_date = u.date;
    inst.price_status = PriceStatus::kVerified;
    result.updated.push_back(std::move(change));
  }
  return result;
}

Expected<std::string> render_catalog_with_prices(const std::string& original, const InstanceCatalog& catalog,
                                                 const std::vector<std::string>& changed) {
  const std::set<std::string> names(changed.begin(), changed.end());
  std::map<std::string, const Instance*> instance_of;
  for (const Instance& i : catalog.instances) instance_of.emplace(i.name, &i);

  std::string out;
  out.reserve(original.size() + 256);
  std::map<std::string, std::size_t> column_of;
  bool have_header = false;
  std::size_t start = 0;
  int line_no = 0;
  while (start < original.size()) {
    std::size_t end = original.find('\n', start);
    const bool has_newline = end != std::string::npos;
    if (!has_newline) end = original.size();
    std::string line = original.substr(start, end - start);
    start = end + 1;
    ++line_no;
    const bool crlf = !line.empty() && line.back() == '\r';
    if (crlf) line.pop_back();
    const std::string trimmed = trim(line);
    std::string rendered = line;
    if (!trimmed.empty() && trimmed[0] != '#') {
      const std::string where = catalog.path + ":" + std::to_string(line_no);
      TB_ASSIGN_OR_RETURN(std::vector<std::string> fields, split_csv_line(line, where));
      if (!have_header) {
        have_header = true;
        for (std::size_t i = 0; i < fields.size(); ++i) column_of.emplace(fields[i], i);
      } else if (column_of.count("instance") && column_of["instance"] < fields.size() &&
                 names.count(fields[column_of["instance"]])) {
        const Instance& inst = *instance_of.at(fields[column_of["instance"]]);
        const auto set_cell = [&](const char* column, const std::string& value, bool optional = false) -> Status {
          const auto it = column_of.find(column);
          if (it == column_of.end() || it->second >= fields.size()) {
            if (optional) return {};
            return bad_input(catalog.path + ": no " + std::string(column) + " column to write the price of " +
                             inst.name + " to: add the column (docs/catalog.md)");
          }
          fields[it->second] = value;
          return {};
        };
        TB_RETURN_IF_ERROR(set_cell("on_demand_usd_per_hour", inst.on_demand_usd_per_hour
                                                                  ? format_price(*inst.on_demand_usd_per_hour)
                                                                  : std::string()));
        if (inst.spot_usd_per_hour) {
          TB_RETURN_IF_ERROR(set_cell("spot_usd_per_hour", format_price(*inst.spot_usd_per_hour), /*optional=*/true));
        }
        TB_RETURN_IF_ERROR(set_cell("price_source", inst.price_source));
        TB_RETURN_IF_ERROR(set_cell("price_date", inst.price_date));
        TB_RETURN_IF_ERROR(set_cell("price_status", to_string(inst.price_status)));
        rendered.clear();
        for (std::size_t i = 0; i < fields.size(); ++i) rendered += (i ? "," : "") + csv_field(fields[i]);
      }
    }
    out += rendered;
    if (crlf) out += '\r';
    if (has_newline) out += '\n';
  }
  return out;
}

}  // namespace tb
