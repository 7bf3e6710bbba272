// The instance catalog: instance types with their accelerators, peaks and
// prices, read from a CSV file (data/instances.csv; format in docs/catalog.md).
// Every figure is optional: an empty cell is "unknown", never zero.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace tb {

// How far an on-demand price can be trusted.
enum class PriceStatus {
  kVerified,    // read from the source named in price_source
  kUnverified,  // conflicting or single-source figures; price_source names them
  kMissing,     // no price known
};
const char* to_string(PriceStatus status);

struct Instance {
  std::string provider;     // "aws"
  std::string name;         // "p5.48xlarge"
  std::string region;       // where the prices apply, e.g. "us-east-1"
  std::string accelerator;  // "H100-SXM"; "none" for CPU-only instances
  int accelerator_count = 0;
  std::optional<double> accelerator_memory_gib;  // per accelerator
  std::optional<int> vcpus;
  std::optional<double> host_memory_gib;
  // Per accelerator, dense, TFLOPS.
  std::optional<double> peak_fp32_tflops;
  std::optional<double> peak_tf32_tflops;
  std::optional<double> peak_bf16_tflops;
  std::optional<double> peak_fp8_tflops;
  std::optional<double> memory_bandwidth_gb_per_s;  // per accelerator, 1e9 bytes/s
  std::optional<double> intra_node_link_gb_per_s;   // per accelerator
  std::optional<double> network_gbit_per_s;         // per instance
  // Per instance, USD per hour.
  std::optional<double> on_demand_usd_per_hour;
  std::optional<double> spot_usd_per_hour;
  std::optional<double> capacity_block_usd_per_hour;
  std::string specs_source;
  std::string specs_date;  // YYYY-MM-DD or empty
  std::string price_source;
  std::string price_date;  // YYYY-MM-DD or empty (never empty when a price is given)
  PriceStatus price_status = PriceStatus::kMissing;
};

struct InstanceCatalog {
  std::string path;                 // the file it was read from
  std::vector<Instance> instances;  // in file order

  // The instance named `name`; kBadInput naming the catalog and the nearest
  // names ("did you mean ...") otherwise.
  Expected<Instance> find(const std::string& name) const;
};

// Reads and validates a catalog. kIo when the file cannot be read; kBadInput
// naming "<path>:<line>" for an unknown, duplicate or missing required column,
// a wrong number of fields, a malformed or negative number, a duplicate
// instance, a bad date (YYYY-MM-DD), or a bad or inconsistent price_status.
Expected<InstanceCatalog> read_instance_catalog(const std::string& path);

// The catalog shipped with the source tree (TRAINBENCH_DATA_DIR/instances.csv,
// set by CMake; the cache variable TRAINBENCH_DATA_DIR overrides it).
std::string default_instance_catalog_path();

// A calendar date (proleptic Gregorian).
struct Date {
  int year = 1970, month = 1, day = 1;
};
// "YYYY-MM-DD" with a real month and day; kBadInput naming the text otherwise.
Expected<Date> parse_date(const std::string& text);
// Days since 1970-01-01.
long long days_since_epoch(const Date& date);
// Today's date in UTC.
Date today_utc();

// One warning per instance that has a price dated more than `max_age_days`
// before `today`, naming the instance, the price date and its age.
std::vector<std::string> stale_prices(const InstanceCatalog& catalog, const Date& today, int max_age_days);

}  // namespace tb
