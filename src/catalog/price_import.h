// Importing on-demand prices into the instance catalog from a provider's
// price file: the AWS Price List bulk offer file (JSON) or a SkyPilot-style
// catalog CSV. Formats and rules: docs/catalog.md ("Importing prices").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/instance_catalog.h"
#include "common/error.h"
#include "common/format.h"

namespace tb {

// One price read from a price file.
struct PriceUpdate {
  std::string instance;                     // "p5.48xlarge"
  std::string region;                       // "us-east-1"
  double usd_per_hour = 0;                  // on-demand, per instance
  std::optional<double> spot_usd_per_hour;  // SkyPilot's SpotPrice: the lowest over the region's regular zones
  std::string source;                       // becomes price_source
  std::string date;                         // YYYY-MM-DD, becomes price_date
};

enum class PriceFileFormat { kAws, kSkyPilot };

// "aws" or "skypilot"; kBadInput naming the text otherwise.
Expected<PriceFileFormat> parse_price_file_format(const std::string& text);
// The format a file name implies: .json = aws, .csv = skypilot; kBadInput
// asking for --format otherwise.
Expected<PriceFileFormat> price_file_format_of(const std::string& path);

// Linux, shared-tenancy, no pre-installed software, capacitystatus "Used"
// compute-instance prices from an AWS Price List offer file's text.
// `file_name` names the file in errors; its last component goes into each
// update's source ("AWS Price List <name>, published <YYYY-MM-DD>"). kBadInput
// for text that is not JSON or not an offer file (no "products" or
// "terms"/"OnDemand"), a missing or bad publicationDate, and, naming the SKU,
// a selected product whose price is not a non-negative decimal, whose unit is
// not "Hrs", or which has two different prices.
Expected<std::vector<PriceUpdate>> parse_aws_offer(const std::string& text, const std::string& file_name);

// Price and SpotPrice of the first row of each (InstanceType, Region) of a
// SkyPilot catalog CSV; rows with an empty Price are skipped. The source is
// "SkyPilot catalog <last component of file_name>"; the spot price is the
// lowest SpotPrice over the region's regular availability zones (empty cells
// and Local and Wavelength Zones skipped: is_regular_zone), as SkyPilot
// itself takes the cheapest zone for spot, and source names that zone; `date` is the
// price_date of every update (YYYY-MM-DD). kBadInput naming "<file>:<line>"
// for a missing InstanceType, Price or Region column, a wrong number of
// fields, or a Price/SpotPrice that is not a non-negative decimal.
// Whether an availability zone is one of the region's regular zones: a name
// "<region><letter>" ("us-east-1a") or an ID "<code>-az<n>" ("use1-az1"); not a
// Local Zone ("us-east-1-atl-2a", "use1-atl2-az1") or Wavelength Zone.
bool is_regular_zone(const std::string& zone, const std::string& region);

Expected<std::vector<PriceUpdate>> parse_skypilot_catalog(const std::string& text, const std::string& file_name,
                                                          const std::string& date);

// Largest price file read_price_file reads (B): 2 GiB. AWS's per-region EC2
// offer files are hundreds of MB; parsing one takes several times its size.
inline constexpr std::int64_t kMaxPriceFileBytes = std::int64_t{2} << 30;

// Reads `path` (read_file, at most kMaxPriceFileBytes; kIo when it cannot be
// read or is not a regular file) and parses it as `format`.
Expected<std::vector<PriceUpdate>> read_price_file(const std::string& path, PriceFileFormat format,
                                                   const std::string& date);

// One catalog instance whose price an import changed.
struct PriceChange {
  std::string instance;
  std::optional<double> old_usd_per_hour;
  double new_usd_per_hour = 0;
  std::optional<double> old_spot_usd_per_hour;
  std::optional<double> new_spot_usd_per_hour;
  std::string date;
};

struct PriceImport {
  std::vector<PriceChange> updated;  // in catalog order
  std::vector<std::string> no_price;  // catalog instances the file has no price for (in their region)
};

// Sets on_demand_usd_per_hour (and spot_usd_per_hour where the update has
// one), price_source, price_date and price_status = verified on every catalog
// instance with an update of the same name and region. Updates for other
// instances or regions are ignored. A price dated after the update (an
// older price file) is kept: kBadInput naming the instance, both dates and
// both sources, unless `replace_newer` (pricing import --force); the catalog
// is then left unchanged.
Expected<PriceImport> apply_price_updates(InstanceCatalog& catalog, const std::vector<PriceUpdate>& updates,
                                          bool replace_newer = false);

// The catalog file `original` (read from catalog.path) with the price cells
// of the instances named in `changed` rewritten from `catalog`; every other
// line (comments, blank lines, header, other rows) is kept byte for byte.
// kBadInput when a price must be written but the header lacks price_date or
// price_source; a spot price is not written when there is no spot_usd_per_hour
// column.
Expected<std::string> render_catalog_with_prices(const std::string& original, const InstanceCatalog& catalog,
                                                 const std::vector<std::string>& changed);

// A price as the catalog writes it: the shortest text that reads back as
// `usd` ("21.957642"; common/format.h).
inline std::string format_price(double usd) { return format_shortest(usd); }

}  // namespace tb
