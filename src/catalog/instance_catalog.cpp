#include "catalog/instance_catalog.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

#include "common/atomic_file.h"
#include "common/csv_line.h"
#include "common/echo.h"
#include "common/suggest.h"

#ifndef TRAINBENCH_DATA_DIR
#error "TRAINBENCH_DATA_DIR must name the data directory (set by src/cost/CMakeLists.txt)"
#endif

namespace tb {
namespace {

// Every column the catalog knows, in the shipped order.
constexpr std::array<const char*, 23> kColumns = {
    "provider",          "instance",           "region",
    "accelerator",       "accelerator_count",  "accelerator_memory_gib",
    "vcpus",             "host_memory_gib",    "peak_fp32_tflops",
    "peak_tf32_tflops",  "peak_bf16_tflops",   "peak_fp8_tflops",
    "memory_bandwidth_gb_per_s", "intra_node_link_gb_per_s", "network_gbit_per_s",
    "on_demand_usd_per_hour",    "spot_usd_per_hour",        "capacity_block_usd_per_hour",
    "specs_source",      "specs_date",         "price_source",
    "price_date",        "price_status",
};
// Columns a catalog must have (their cells may still be empty where allowed).
constexpr std::array<const char*, 7> kRequired = {
    "provider", "instance", "region", "accelerator", "accelerator_count", "on_demand_usd_per_hour", "price_status",
};

// A catalog number: empty (unknown) or a decimal >= 0.
Expected<std::optional<double>> parse_number(const std::string& text, const std::string& column,
                                             const std::string& where) {
  TB_ASSIGN_OR_RETURN(const std::optional<double> value, parse_csv_number(text, column, where));
  if (value && *value < 0) {
    return bad_input(where + ": " + column + " " + echo_value(text) +
                     " is negative: expected 0 or more, or empty for unknown");
  }
  return value;
}

Expected<std::optional<int>> parse_count(const std::string& text, const std::string& column, const std::string& where) {
  TB_ASSIGN_OR_RETURN(const std::optional<double> v, parse_number(text, column, where));
  if (!v) return std::optional<int>{};
  if (*v != std::floor(*v) || *v > 1e6) {
    return bad_input(where + ": " + column + " '" + echo_value(text) +
                     "' is not a whole number: expected 0, 1, 2, ...");
  }
  return std::optional<int>{static_cast<int>(*v)};
}

Status check_date(const std::string& text, const std::string& column, const std::string& where) {
  if (text.empty()) return {};
  const Expected<Date> d = parse_date(text);
  if (!d) return bad_input(where + ": " + column + " " + d.error().message);
  return {};
}

Expected<PriceStatus> parse_price_status(const std::string& text, const std::string& where) {
  if (text == "verified") return PriceStatus::kVerified;
  if (text == "unverified") return PriceStatus::kUnverified;
  if (text == "missing") return PriceStatus::kMissing;
  return bad_input(where + ": price_status '" + echo_value(text) +
                   "' is not known: expected verified, unverified or missing");
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

const char* to_string(PriceStatus status) {
  switch (status) {
    case PriceStatus::kVerified: return "verified";
    case PriceStatus::kUnverified: return "unverified";
    case PriceStatus::kMissing: return "missing";
  }
  return "missing";
}

Expected<Date> parse_date(const std::string& text) {
  const std::string expected = "'" + text + "' is not a date: expected YYYY-MM-DD, e.g. 2026-11-26";
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad_input(expected);
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return bad_input(expected);
  }
  Date d;
  d.year = std::stoi(text.substr(0, 4));
  d.month = std::stoi(text.substr(5, 2));
  d.day = std::stoi(text.substr(8, 2));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d.month < 1 || d.month > 12) return bad_input(expected + " (month 01 to 12)");
  const int max_day = kDays[d.month - 1] + (d.month == 2 && is_leap(d.year) ? 1 : 0);
  if (d.day < 1 || d.day > max_day) {
    return bad_input(expected + " (day 01 to " + std::to_string(max_day) + " in that month)");
  }
  return d;
}

long long days_since_epoch(const Date& date) {
  // Howard Hinnant's days_from_civil.
  const long long y = date.year - (date.month <= 2 ? 1 : 0);
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long mp = (date.month + 9) % 12;
  const long long doy = (153 * mp + 2) / 5 + date.day - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date today_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return Date{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

std::string default_instance_catalog_path() { return std::string(TRAINBENCH_DATA_DIR) + "/instances.csv"; }

Expected<Instance> InstanceCatalog::find(const std::string& name) const {
  for (const Instance& i : instances) {
    if (i.name == name) return i;
  }
  std::vector<std::string> names;
  for (const Instance& i : instances) names.push_back(i.name);
  const std::vector<std::string> nearest = nearest_names(name, names);
  std::string message = "unknown instance '" + echo_value(name) + "' in " + path;
  if (!nearest.empty()) {
    message += ": did you mean " + quoted_alternatives(nearest) + "?";
  } else {
    message += ": expected one of the catalog's " + std::to_string(instances.size()) +
               " instances (trainbench list instances)";
  }
  return bad_input(message);
}

Expected<InstanceCatalog> read_instance_catalog(const std::string& path) {
  TB_ASSIGN_OR_RETURN(const std::string text, read_file(path, kMaxReadBytes, "instance catalog"));
  InstanceCatalog catalog;
  catalog.path = path;

  TB_ASSIGN_OR_RETURN(const std::vector<CsvRecord> records, csv_records(text, path));
  if (records.empty()) return bad_input(path + ": no header line: expected the columns of docs/catalog.md");
  TB_ASSIGN_OR_RETURN(const auto column_of,
                      csv_header_columns(records.front(), kColumns, kRequired,
                                         "the columns of docs/catalog.md (provider, instance, region, ...)"));
  std::map<std::string, int> line_of_instance;

  for (std::size_t r = 1; r < records.size(); ++r) {
    const std::string& where = records[r].where;
    const std::vector<std::string>& fields = records[r].fields;
    const int line_no = records[r].line;
    TB_RETURN_IF_ERROR(check_csv_field_count(records[r], records.front().fields.size()));
    const auto cell = [&](const char* column) -> std::string {
      const auto it = column_of.find(column);
      return it == column_of.end() ? std::string() : fields[it->second];
    };
    const auto number = [&](const char* column, std::optional<double>& out) -> Status {
      TB_ASSIGN_OR_RETURN(out, parse_number(cell(column), column, where));
      return {};
    };

    Instance inst;
    inst.provider = cell("provider");
    inst.name = cell("instance");
    inst.region = cell("region");
    inst.accelerator = cell("accelerator");
    for (const auto& [column, value] : {std::pair{"provider", &inst.provider}, std::pair{"instance", &inst.name},
                                        std::pair{"region", &inst.region}, std::pair{"accelerator", &inst.accelerator}}) {
      if (value->empty()) {
        return bad_input(where + ": empty " + std::string(column) +
                         (std::string(column) == "accelerator" ? ": expected a name, or none for CPU-only instances"
                                                               : ": expected a name"));
      }
    }
    const auto [previous, inserted] = line_of_instance.emplace(inst.name, line_no);
    if (!inserted) {
      return bad_input(where + ": duplicate instance '" + echo_value(inst.name) + "': already on line " +
                       std::to_string(previous->second));
    }
    TB_ASSIGN_OR_RETURN(const std::optional<int> count, parse_count(cell("accelerator_count"), "accelerator_count", where));
    if (!count) return bad_input(where + ": empty accelerator_count: expected 0 or more");
    inst.accelerator_count = *count;
    TB_ASSIGN_OR_RETURN(inst.vcpus, parse_count(cell("vcpus"), "vcpus", where));
    TB_RETURN_IF_ERROR(number("accelerator_memory_gib", inst.accelerator_memory_gib));
    TB_RETURN_IF_ERROR(number("host_memory_gib", inst.host_memory_gib));
    TB_RETURN_IF_ERROR(number("peak_fp32_tflops", inst.peak_fp32_tflops));
    TB_RETURN_IF_ERROR(number("peak_tf32_tflops", inst.peak_tf32_tflops));
    TB_RETURN_IF_ERROR(number("peak_bf16_tflops", inst.peak_bf16_tflops));
    TB_RETURN_IF_ERROR(number("peak_fp8_tflops", inst.peak_fp8_tflops));
    TB_RETURN_IF_ERROR(number("memory_bandwidth_gb_per_s", inst.memory_bandwidth_gb_per_s));
    TB_RETURN_IF_ERROR(number("intra_node_link_gb_per_s", inst.intra_node_link_gb_per_s));
    TB_RETURN_IF_ERROR(number("network_gbit_per_s", inst.network_gbit_per_s));
    TB_RETURN_IF_ERROR(number("on_demand_usd_per_hour", inst.on_demand_usd_per_hour));
    TB_RETURN_IF_ERROR(number("spot_usd_per_hour", inst.spot_usd_per_hour));
    TB_RETURN_IF_ERROR(number("capacity_block_usd_per_hour", inst.capacity_block_usd_per_hour));
    inst.specs_source = cell("specs_source");
    inst.specs_date = cell("specs_date");
    inst.price_source = cell("price_source");
    inst.price_date = cell("price_date");
    TB_RETURN_IF_ERROR(check_date(inst.specs_date, "specs_date", where));
    TB_RETURN_IF_ERROR(check_date(inst.price_date, "price_date", where));
    TB_ASSIGN_OR_RETURN(inst.price_status, parse_price_status(cell("price_status"), where));

    const bool any_price = inst.on_demand_usd_per_hour || inst.spot_usd_per_hour || inst.capacity_block_usd_per_hour;
    if (any_price && inst.price_date.empty()) {
      return bad_input(where + ": instance '" + inst.name + "' has a price but no price_date: expected YYYY-MM-DD");
    }
    if (inst.price_status == PriceStatus::kVerified && !inst.on_demand_usd_per_hour) {
      return bad_input(where + ": instance '" + inst.name +
                       "' has price_status verified but no on_demand_usd_per_hour: expected a price, or unverified or "
                       "missing");
    }
    if (inst.price_status == PriceStatus::kMissing && inst.on_demand_usd_per_hour) {
      return bad_input(where + ": instance '" + inst.name + "' has price_status missing but on_demand_usd_per_hour " +
                       cell("on_demand_usd_per_hour") + ": expected verified or unverified, or an empty price");
    }
    catalog.instances.push_back(std::move(inst));
  }
  return catalog;
}

std::vector<std::string> stale_prices(const InstanceCatalog& catalog, const Date& today, int max_age_days) {
  std::vector<std::string> warnings;
  const long long now = days_since_epoch(today);
  for (const Instance& i : catalog.instances) {
    if (i.price_date.empty()) continue;
    const Expected<Date> d = parse_date(i.price_date);
    if (!d) continue;  // read_instance_catalog has checked it
    const long long age = now - days_since_epoch(*d);
    if (age > max_age_days) {
      warnings.push_back(i.name + ": price dated " + i.price_date + " is " + std::to_string(age) +
                         " days old (more than " + std::to_string(max_age_days) +
                         "): check it against the provider's price list");
    }
  }
  return warnings;
}

}  // namespace tb
